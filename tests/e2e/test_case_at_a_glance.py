"""The case page at a glance: the steps open to you first, deadlines by urgency, a timeline that tells
the story newest first with filters and counts."""

import re

from sqlalchemy import event
from sqlalchemy.orm import Session

from casework.cases import actions
from casework.sla.queries import case_clocks
from tests.factories import REFER
from web import case_page


def _page(client, ref, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/cases/{ref}" + (f"?{query}" if query else "")).get_data(as_text=True)


def test_the_steps_you_may_take_come_first_with_the_primary_one_open(client, auth, make):
    ref = make.case("detected")
    auth.as_actor(make.staff("admin"))
    page = _page(client, ref)
    assert page.index('id="act-h"') < page.index('id="evidence-h"') < page.index('id="timeline-h"')
    assert re.search(r'<details class="action primary" id="step-start_review" open>', page)


def test_required_fields_are_marked_before_any_failure(client, auth, make):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    form = _page(client, ref).split('id="step-refer"')[1].split("</form>")[0]
    assert '<legend>Category <span class="required">(required)</span></legend>' in form
    assert 'Monitored strands <span class="muted">(required when it applies)</span>' in form
    assert 'Offence candidates <span class="muted">(optional)</span>' in form


def test_the_timeline_shows_decisions_newest_first_and_counts_the_rest(cw, client, auth, make):
    ref = make.case("crime_bureau_advice")
    admin = make.staff("admin")
    auth.as_actor(admin)
    actions.add_comment(cw, admin, ref, "called the page owner")
    for _ in range(3):
        _page(client, ref)  # each view is logged
    client.post(f"/cases/{ref}/transitions/dismiss", data={"version": "1"})  # refused: not at this stage
    page = _page(client, ref)
    heads = re.findall(r'<li class="event event-[a-z_]+">\s*<div class="event-head">\s*<strong>([^<]+)</strong>', page)
    assert heads == ["Note", "Refer to Crime Bureau", "Start review", "Flagged"]
    counts = dict(re.findall(r'show=(\w+)#timeline"[^>]*>[^<]+<span class="count">(\d+)</span>', page))
    # the views before, and this one: it is logged before the timeline is read
    assert counts == {"decisions": "4", "deadlines": "0", "notifications": "0", "views": "4", "refusals": "1"}
    assert 'show=decisions#timeline" aria-current="true"' in page
    views = _page(client, ref, show="views")
    assert (
        views.count('class="event event-viewed"') == 5 and "Refer to Crime Bureau" not in views.split("timeline-h")[1]
    )


def test_live_deadlines_come_first_and_finished_runs_are_folded(cw, client, auth, make):
    ref = make.case("closed")
    actions.apply_trigger(cw, make.staff("supervisor"), ref, "reopen", {"reason": "posted again"})
    auth.as_actor(make.staff("admin"))
    page = _page(client, ref).split('id="clocks-h"')[1].split("</section>")[0]
    live, folded = page.split('<details class="finished-clocks">')
    assert "Running now, soonest due first" in live and "running" not in folded.split("</summary>")[0]
    stopped = [c for c in case_clocks(cw, 1) if c.stopped_at]
    assert f"<summary>Finished ({len(stopped)})</summary>" in folded
    assert live.count("<tr class=") == len(case_clocks(cw, 1)) - len(stopped)


def test_a_one_hour_clock_is_amber_from_the_start_while_a_five_day_one_is_green(cw, client, auth, make, clock):
    ref = make.case("admin_review")
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", {**REFER, "threat_to_life": "yes"})
    views = {c.name: c for c in case_clocks(cw, 1) if c.stopped_at is None}
    assert views["crime_recording_decision"].status(clock.now()) == "warning"
    assert views["end_to_end"].status(clock.now()) == "running"


def test_a_much_viewed_case_shows_the_newest_views_and_counts_them_all(cw, client, auth, make, monkeypatch):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    monkeypatch.setattr(case_page, "TIMELINE_LIMIT", 3)
    for _ in range(5):
        _page(client, ref)
    views = _page(client, ref, show="views")
    counts = dict(re.findall(r'show=(\w+)#timeline"[^>]*>[^<]+<span class="count">(\d+)</span>', views))
    assert counts["views"] == "6" and counts["decisions"] == "2"
    assert views.count('class="event event-viewed"') == 3 and "the newest 3 of 6 entries" in views
    seqs = [int(s) for s in re.findall(r"· #(\d+)</span>", views.split('id="timeline-h"')[1])]
    assert seqs == sorted(seqs, reverse=True) and seqs[0] == max(seqs)


def test_the_case_page_reads_only_the_shown_events_of_a_much_viewed_case(cw, client, auth, make):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    for _ in range(30):
        _page(client, ref)
    loaded = []

    def count(_session, instance):
        loaded.append(type(instance).__name__)

    event.listen(Session, "loaded_as_persistent", count)
    try:
        page = _page(client, ref)
    finally:
        event.remove(Session, "loaded_as_persistent", count)
    assert "Start review" in page
    assert loaded.count("CaseEvent") <= 5, loaded.count("CaseEvent")  # flagged, start_review, not the 30 views
