"""`GET /api/v1/cases` pages by keyset: an opaque `after` cursor, no OFFSET, no count of every match."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from sqlalchemy import event

from tests.e2e.api_helpers import Bearer


@pytest.fixture
def bearer(cw, make):
    return Bearer(cw, make)


def _pages(client, headers, url, between=lambda: None):
    """Every page from `url` on, following `links.next`; `between` runs before each next page."""
    pages = []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        pages.append(response.get_json())
        url = pages[-1]["links"].get("next")
        if url:
            between()
    return pages


def test_paging_issues_no_offset_and_counts_nothing(client, cw, make, bearer):
    for _ in range(5):
        make.case()
    headers = bearer("admin")
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement.upper(), parameters))

    event.listen(cw.engine, "before_cursor_execute", capture)
    try:
        pages = _pages(client, headers, "/api/v1/cases?per_page=2")
    finally:
        event.remove(cw.engine, "before_cursor_execute", capture)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    listing = [s for s, _ in statements if "FROM CASES" in s]
    assert listing, "the listing's queries were captured"
    assert not [s for s in listing if "COUNT(" in s]
    # SQLAlchemy writes SQLite's LIMIT as `LIMIT ? OFFSET ?` with 0: skipping no rows is no OFFSET
    offsets = [(s, p) for s, p in statements if "OFFSET" in s]
    assert [p[-1] for s, p in offsets if s.rstrip().endswith("OFFSET ?")] == [0] * len(offsets), offsets


def test_paging_visits_every_case_once_while_cases_arrive(client, cw, make, bearer, clock):
    before = []
    for n in range(7):
        before.append(make.case())
        if n % 2:  # some share a detection time: the cursor breaks ties by id
            clock.advance(minutes=1)
    headers = bearer("admin")
    arrived = []

    def flag_another():
        clock.advance(minutes=1)
        arrived.append(make.case())

    pages = _pages(client, headers, "/api/v1/cases?per_page=3", between=flag_another)
    seen = [c["reference"] for p in pages for c in p["items"]]
    assert seen == before + arrived  # oldest detected first, each once; the newcomers come last
    assert [p["next"] is None for p in pages] == [False] * (len(pages) - 1) + [True]


def test_a_page_names_its_cursor_and_keeps_the_filters(client, make, bearer):
    refs = [make.case() for _ in range(4)]
    make.case("admin_review")
    headers = bearer("admin")
    first = client.get("/api/v1/cases?state=detected&per_page=2", headers=headers).get_json()
    assert [c["reference"] for c in first["items"]] == refs[:2] and first["per_page"] == 2
    assert "total" not in first and "page" not in first
    link = urlsplit(first["links"]["next"])
    assert link.path == "/api/v1/cases"
    assert parse_qs(link.query) == {"state": ["detected"], "per_page": ["2"], "after": [first["next"]]}
    second = client.get(f"/api/v1/cases?state=detected&per_page=2&after={first['next']}", headers=headers)
    assert [c["reference"] for c in second.get_json()["items"]] == refs[2:]
    assert second.get_json()["next"] is None and "next" not in second.get_json()["links"]


def test_assignee_filters_are_kept(client, make, bearer):
    unassigned = [make.case() for _ in range(2)]
    reviewing = make.case("admin_review")  # start_review assigned it to the admin
    headers = bearer("admin")

    def refs(query):
        response = client.get(f"/api/v1/cases?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [c["reference"] for c in response.get_json()["items"]]

    assert refs("assignee=me") == [reviewing]
    assert refs(f"assignee={make.staff('admin').username}") == [reviewing]
    assert refs("assignee=none") == unassigned
    assert refs("assignee=nobody") == []  # like an unknown force: a filter that nothing matches
    assert refs("force=nowhere") == []
    assert refs("force=warwickshire&state=admin_review") == [reviewing]


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    [
        "forged",
        "!!!!",
        "%00",
        "A" * 401,
        _cursor({"not": "a list"}),
        _cursor(["2026-11-25T09:00:00+00:00"]),
        _cursor(["not a time", 3]),
        _cursor(["2026-11-25T09:00:00+00:00", "3"]),
        base64.urlsafe_b64encode(b'["2026-11-25T09:00:00+00:00", 18446744073709551615]').decode(),
        _cursor([12, 3]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_bad_cursor_is_a_422_problem_naming_after(client, make, bearer, after):
    make.case()
    response = client.get(f"/api/v1/cases?after={after}", headers=bearer("admin"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert "after" in response.get_json()["errors"]


@pytest.mark.parametrize("query", ["page=2", "page=0", "per_page=0", "per_page=201", "per_page=x", "state=limbo"])
def test_page_numbers_and_bad_sizes_are_refused_with_the_reason(client, bearer, query):
    response = client.get(f"/api/v1/cases?{query}", headers=bearer("admin"))
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert set(response.get_json()["errors"]) == {query.split("=")[0]}
