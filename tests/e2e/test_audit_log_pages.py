"""The audit log pages by keyset (`?before=<seq>`), newest first, without counting the whole log."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.audit.log import LogFilter, _scope, search_events
from casework.storage.tables import Case, CaseEvent
from tests.e2e.test_audit_pages import sign_in


def _seqs(html: str) -> list[int]:
    table = html.split('<table class="log">', 1)[1] if '<table class="log">' in html else ""
    return [int(n) for n in re.findall(r"<tr class=\"event-[a-z_]+\">\s*<td>(\d+)</td>", table)]


def _in_scope(cw, actor) -> list[int]:
    """Every event the actor may read, newest first, by one unpaged query."""
    with cw.reader() as uow:
        query = (
            select(CaseEvent.seq)
            .outerjoin(Case, Case.id == CaseEvent.case_id)
            .where(_scope(uow.session, actor))
            .order_by(CaseEvent.seq.desc())
        )
        return list(uow.session.execute(query).scalars())


@pytest.mark.parametrize("role", ["auditor", "supervisor"])
def test_following_older_links_walks_every_event_in_scope_once(client, cw, make, role):
    for force in ("warwickshire", "west_mercia") * 5:
        make.case("closed", force=force)
    reader = sign_in(client, make, "vera", [role])
    expected = _in_scope(cw, reader)
    assert len(expected) > 25  # more than one page
    seen, url = [], "/audit"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _seqs(html)
        older = re.search(r'<a rel="next" href="([^"]+)">Older', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == expected
    assert "events." not in client.get("/audit").get_data(as_text=True)  # no count of the whole log


def test_a_filter_keeps_its_value_across_pages_and_a_short_result_is_counted(client, cw, make):
    refs = [make.case("closed") for _ in range(3)]
    reader = sign_in(client, make, "vera", ["auditor"])
    page = search_events(cw, reader, LogFilter(action="transition", per_page=5))
    assert page.more and [e.event.action for e in page.entries] == ["transition"] * 5
    older = search_events(cw, reader, LogFilter(action="transition", per_page=5, before=page.older))
    assert older.entries[0].event.seq < page.entries[-1].event.seq
    html = client.get(f"/audit?reference={refs[0]}").get_data(as_text=True)
    assert "5 events." in html and "Older" not in html


@pytest.mark.parametrize("before", ["99999999999999999999", "0", "-3", "x", "²"])
def test_a_bad_before_is_a_clear_422(client, make, before):
    sign_in(client, make, "vera", ["auditor"])
    response = client.get(f"/audit?before={before}")
    assert response.status_code == 422 and "before" in response.get_data(as_text=True).lower()


def test_a_date_filter_pages_newest_first_in_time_order(client, cw, make, clock):
    for _ in range(6):
        make.case("closed")
        clock.advance(hours=5)
    reader = sign_in(client, make, "vera", ["auditor"])
    day = clock.now().date()
    flt = LogFilter(since=day - timedelta(days=1), until=day, per_page=4)
    seen, page = [], search_events(cw, reader, flt)
    while True:
        seen += [(e.event.at, e.event.seq) for e in page.entries]
        if not page.more:
            break
        page = search_events(cw, reader, LogFilter(since=flt.since, until=flt.until, per_page=4, before=page.older))
    assert len(seen) > 8 and seen == sorted(set(seen), reverse=True)
