"""/cases as a service: every case the user may see, filtered, sorted and paged by keyset; one consultation a page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from casework.cases import actions
from casework.cases.listing import list_cases, parse_query
from casework.cases.saved_views import save_view, views_for
from casework.errors import ValidationError
from casework.sla.models import SlaClock
from casework.storage.tables import CaseEvent
from tests.factories import REFER


def _list(cw, actor, **args):
    query = parse_query(cw, {k: v if isinstance(v, list) else [v] for k, v in args.items()})
    return list_cases(cw, actor, query, via="web")


def _refs(page):
    return [r.reference for r in page.rows]


def test_every_state_is_listed_newest_first_including_closed(cw, make, clock):
    refs = []
    for state in ("detected", "crime_bureau_advice", "closed"):
        refs.append(make.case(state))
        clock.advance(minutes=1)
    comms = make.staff("comms")  # told at referral: sees advice cases too, not only its stage
    assert _refs(_list(cw, comms)) == refs[::-1]
    assert _refs(_list(cw, comms, state="closed")) == [refs[2]]


def test_filters_by_decisions_people_and_flags(cw, make, clock):
    plain = make.case("detected", platform="x")
    referred = make.case("admin_review")
    actions.apply_trigger(
        cw,
        make.staff("admin"),
        referred,
        "refer",
        {**REFER, "strands": ["religion"], "offences": ["pha_1997"], "threat_to_life": "yes"},
    )
    clock.advance(minutes=1)
    reviewing = make.case("admin_review")  # start_review assigned it to the admin; the referral unassigned the other
    admin = make.staff("admin")
    assert _refs(_list(cw, admin, platform="x")) == [plain]
    assert _refs(_list(cw, admin, strand="religion")) == [referred]
    assert _refs(_list(cw, admin, strand="race")) == []
    assert _refs(_list(cw, admin, category="hate_crime", offence="pha_1997")) == [referred]
    assert _refs(_list(cw, admin, threat_to_life="1")) == [referred]
    assert _refs(_list(cw, admin, referred_by_me="1")) == [referred]
    assert _refs(_list(cw, admin, mine="1")) == [reviewing]
    assert _refs(_list(cw, admin, assignee="none")) == [referred, plain]
    assert _refs(_list(cw, admin, assignee=admin.username)) == [reviewing]


def test_filters_by_outcome_breach_and_detection_dates(cw, make, clock):
    old = make.case("closed")
    clock.advance(days=3)
    new = make.case("detected")
    with cw.engine.begin() as connection:
        connection.execute(update(SlaClock).where(col(SlaClock.case_id) == 2).values(breached_at=clock.now()))
    admin = make.staff("admin")
    assert _refs(_list(cw, admin, outcome="crime_recorded")) == [old]
    assert _refs(_list(cw, admin, breached="1")) == [new]
    assert _refs(_list(cw, admin, **{"from": "2026-11-26"})) == [new]
    assert _refs(_list(cw, admin, to="2026-11-25")) == [old]


def test_only_the_users_forces_are_listed(cw, make):
    mine = make.case()
    make.case(force="west_mercia")
    admin = make.staff("admin")
    assert _refs(_list(cw, admin)) == [mine]
    assert _refs(_list(cw, admin, force="west_mercia")) == []


@pytest.mark.parametrize("sort", ["-detected", "detected", "reference", "-updated"])
def test_keyset_pages_cover_every_case_once_in_order(cw, make, clock, sort):
    refs = []
    for _ in range(7):
        refs.append(make.case())
        clock.advance(minutes=1)
    admin = make.staff("admin")
    seen, after = [], ""
    while True:
        page = _list(cw, admin, sort=sort, per_page="3", **({"after": after} if after else {}))
        seen += _refs(page)
        if not page.next_after:
            break
        after = page.next_after
    expected = sorted(refs, reverse=sort.startswith("-"))
    assert seen == expected


@pytest.mark.parametrize(
    "args, field",
    [
        ({"state": "limbo"}, "state"),
        ({"strand": "height"}, "strand"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"sort": "mood"}, "sort"),
        ({"per_page": "500"}, "per_page"),
        ({"after": "forged"}, "after"),
        ({"colour": "red"}, "query"),
    ],
)
def test_bad_filters_are_named(cw, make, args, field):
    make.case()
    with pytest.raises(ValidationError) as refused:
        _list(cw, make.staff("admin"), **args)
    assert field in refused.value.errors


def test_a_page_shown_is_one_consultation_naming_its_cases(cw, make):
    refs = [make.case() for _ in range(3)]
    _list(cw, make.staff("admin"), per_page="2")
    with cw.reader() as uow:
        views = uow.session.execute(select(CaseEvent).where(col(CaseEvent.action) == "viewed")).scalars().all()
    assert [(v.case_id, v.data["scope"], v.data["references"]) for v in views] == [(None, "cases", refs[::-1][:2])]


def test_dates_are_london_days(cw, make):
    assert parse_query(cw, {"from": ["2026-07-01"]}).detected_from == date(2026, 7, 1)


def test_a_new_referral_replaces_the_decisions_the_filters_see(cw, make):
    ref = make.case("admin_review")
    admin, bureau = make.staff("admin"), make.staff("bureau")
    actions.apply_trigger(cw, admin, ref, "refer", {**REFER, "offences": ["pha_1997"]})
    actions.apply_trigger(cw, bureau, ref, "request_information", {"question": "which post?"})
    actions.apply_trigger(cw, admin, ref, "refer", {**REFER, "strands": ["disability"], "answer": "the first one"})
    assert _refs(_list(cw, admin, offence="pha_1997")) == []
    assert _refs(_list(cw, admin, strand="race")) == []
    assert _refs(_list(cw, admin, strand="disability")) == [ref]


def test_saved_views_keep_clean_filters_and_refuse_what_cannot_be_kept(cw, make):
    admin = make.staff("admin")
    view = save_view(cw, admin, "  Closed   spam ", "state=closed&outcome=dismissed&after=xyz&sort=-detected")
    assert (view.name, view.query) == ("Closed spam", "state=closed&outcome=dismissed")
    with pytest.raises(ValidationError) as refused:
        save_view(cw, admin, "x", "state=limbo")
    assert "state" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        save_view(cw, admin, "x", "state=closed", shared_role="auditor")
    assert "shared_role" in refused.value.errors
    states = "&".join(f"state={s.name}" for s in cw.workflow.states)
    with pytest.raises(ValidationError) as refused:  # 200 characters of channel are 1,800 once URL-encoded
        long_filters = f"channel={'€' * 200}&assignee={'a' * 64}&{states}&outcome=dismissed&outcome=moderated"
        save_view(cw, admin, "x", long_filters)
    assert "query" in refused.value.errors
    assert [v.name for v in views_for(cw, admin)] == ["Closed spam"]
