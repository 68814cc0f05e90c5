"""Finding and working many cases over HTTP: /search, GET /api/v1/search, /cases, saved views, CSV, bulk."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlmodel import col

from casework.cases.bulk import MAX_CASES
from casework.storage.tables import Case, CaseEvent
from tests.e2e.api_helpers import Bearer


@pytest.fixture
def bearer(cw, make):
    return Bearer(cw, make)


def _version(cw, ref):
    with cw.reader() as uow:
        return uow.session.execute(select(col(Case.version)).where(col(Case.reference) == ref)).scalar_one()


def _events(cw, action):
    with cw.reader() as uow:
        return uow.session.execute(select(CaseEvent).where(col(CaseEvent.action) == action)).scalars().all()


def test_a_reference_typed_in_the_header_box_opens_the_case(client, auth, make):
    ref = make.case()
    auth.as_actor(make.staff("admin"))
    response = client.get("/search?q=wk-2026-1")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{ref}"
    assert 'id="header-search"' in client.get("/queue").get_data(as_text=True)


def test_search_results_mark_matches_and_escape_the_comment(client, auth, make):
    make.case(text='<img src=x onerror="alert(1)"> Tom & Jerry <3 you menace')
    auth.as_actor(make.staff("admin"))
    page = client.get("/search?q=menace").get_data(as_text=True)
    assert "<mark>menace</mark>" in page
    assert "<img src=x" not in page and "<3" not in page and "Tom &amp; Jerry &lt;3" in page


def test_an_overlong_search_is_refused_with_the_reason(client, auth, make):
    auth.as_actor(make.staff("admin"))
    response = client.get("/search?q=" + "x" * 201)
    assert response.status_code == 422 and "1-200 characters" in response.get_data(as_text=True)


def test_the_search_api_jumps_or_lists_hits_of_the_callers_forces(client, make, bearer):
    ref = make.case(text="distinctive phrase here")
    make.case(force="west_mercia", text="distinctive elsewhere")
    jump = client.get("/api/v1/search?q=wk 2026 000001", headers=bearer("admin")).get_json()
    assert jump["jump"]["reference"] == ref and jump["hits"] == []
    found = client.get("/api/v1/search?q=distinctive", headers=bearer("admin")).get_json()
    assert [h["reference"] for h in found["hits"]] == [ref]
    assert {"text": "distinctive", "matched": True} in found["hits"][0]["snippet"]
    assert client.get("/api/v1/search?q=", headers=bearer("admin")).status_code == 422


def test_cases_lists_every_state_for_comms_and_filters(client, auth, make):
    advice = make.case("crime_bureau_advice")
    closed = make.case("closed")
    auth.as_actor(make.staff("comms"))
    page = client.get("/cases").get_data(as_text=True)
    assert advice in page and closed in page
    page = client.get("/cases?state=closed").get_data(as_text=True)
    assert closed in page and advice not in page
    assert client.get("/cases?state=limbo").status_code == 422


def test_the_queue_sends_a_state_outside_the_team_to_cases(client, auth, make):
    auth.as_actor(make.staff("admin"))
    response = client.get("/queue?state=crime_bureau_advice")
    assert response.status_code == 302 and response.headers["Location"] == "/cases?state=crime_bureau_advice"
    assert client.get("/queue?state=admin_review").status_code == 200


def test_a_saved_view_is_listed_in_the_navigation_and_may_be_shared_with_the_team(client, auth, make):
    admin = auth.as_actor(make.staff("admin"))
    response = client.post("/cases/views", data={"name": "Closed ones", "query": "state=closed&after=zzz"})
    assert response.status_code == 302 and response.headers["Location"] == "/cases?state=closed"
    client.post(
        "/cases/views", data={"name": "Team spam", "query": "outcome=dismissed", "shared_role": "channel_admin"}
    )
    page = client.get("/queue").get_data(as_text=True)
    assert re.search(r'href="/cases\?state=closed"[^>]*>Closed ones</a>', page)
    colleague = make.user("wk.admin2", ["channel_admin"])
    auth.as_actor(colleague)
    page = client.get("/queue").get_data(as_text=True)
    assert "Team spam" in page and "Closed ones" not in page
    auth.as_actor(make.staff("comms"))
    assert "Team spam" not in client.get("/queue").get_data(as_text=True)
    assert admin.username != colleague.username


def test_the_csv_of_a_view_is_a_disclosure_recorded_before_it_is_sent(client, auth, make):
    ref = make.case(text="=HYPERLINK(evil)")
    auth.as_actor(make.staff("admin"))
    refused = client.post("/cases/export", data={"state": "detected"})
    assert refused.status_code == 422 and _events(make.cw, "exported") == []
    response = client.post("/cases/export", data={"state": "detected", "recipient": "CPS", "purpose": "charging file"})
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and ref in body and "'=HYPERLINK(evil)" in body
    [event] = _events(make.cw, "exported")
    assert event.data["references"] == [ref] and event.data["recipient"] == "CPS"
    assert event.data["filters"] == "state=detected"


def test_bulk_from_the_queue_reports_each_case(client, auth, make, cw):
    refs = [make.case("admin_review") for _ in range(3)]
    auth.as_actor(make.staff("admin"))
    stale = f"{refs[2]}:{_version(cw, refs[2]) - 1}"
    data = {
        "trigger": "dismiss",
        "reason_code": "spam",
        "note": "pile-on",
        "case": [f"{refs[0]}:{_version(cw, refs[0])}", f"{refs[1]}:{_version(cw, refs[1])}", stale],
        "back": "/queue",
    }
    page = client.post("/bulk", data=data).get_data(as_text=True)
    assert "2 done, 0 refused, 1 changed since you loaded them" in page


def test_select_all_on_the_page_acts_on_every_row(client, auth, make, cw):
    refs = [make.case("detected") for _ in range(2)]
    auth.as_actor(make.staff("admin"))
    page_cases = [f"{r}:{_version(cw, r)}" for r in refs]
    page = client.post("/bulk", data={"trigger": "start_review", "all": "1", "page_case": page_cases}).get_data(
        as_text=True
    )
    assert "2 done" in page


def test_auditors_cannot_act_in_bulk(client, auth, make):
    auth.as_actor(make.staff("auditor"))
    assert client.post("/bulk", data={"trigger": "dismiss"}).status_code == 403


def test_the_bulk_api_gives_done_refused_and_conflicts(client, make, bearer, cw):
    refs = [make.case("admin_review") for _ in range(3)]
    detected = make.case()
    cases = [{"reference": r, "version": _version(cw, r)} for r in [*refs, detected]]
    cases[1]["version"] -= 1
    body = {"trigger": "dismiss", "inputs": {"reason_code": "spam", "note": "pile-on"}, "cases": cases}
    result = client.post("/api/v1/bulk/transitions", json=body, headers=bearer("admin")).get_json()
    assert result["done"] == [refs[0], refs[2]]
    assert result["conflicts"] == [{"reference": refs[1], "current_version": cases[1]["version"] + 1}]
    assert [r["reference"] for r in result["refused"]] == [detected]


def test_the_bulk_api_refuses_more_than_the_cap(client, make, bearer):
    cases = [{"reference": f"WK-2026-{n:06d}", "version": 1} for n in range(MAX_CASES + 1)]
    response = client.post(
        "/api/v1/bulk/transitions", json={"trigger": "dismiss", "cases": cases}, headers=bearer("admin")
    )
    assert response.status_code == 422
    assert f"at most {MAX_CASES} cases at once" in response.get_json()["errors"]["cases"]


def test_a_list_page_showing_comments_is_one_consultation(client, auth, make, cw):
    refs = [make.case() for _ in range(2)]
    auth.as_actor(make.staff("admin"))
    client.get("/queue")
    client.get("/cases")
    views = _events(cw, "viewed")
    assert [(v.data["scope"], sorted(v.data["references"])) for v in views] == [("queue", refs), ("cases", refs)]
