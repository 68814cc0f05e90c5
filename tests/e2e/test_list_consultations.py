"""DPA 2018 s.62: a list that shows personal data is one consultation naming the cases it showed."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.audit import disclosure
from casework.entrypoints.cli import main
from casework.storage.tables import CaseEvent
from tests.e2e.api_helpers import Bearer


def listings(cw):
    with cw.reader() as uow:
        events = uow.session.execute(
            select(CaseEvent).where(CaseEvent.action == "viewed", CaseEvent.case_id.is_(None)).order_by(CaseEvent.seq)
        ).scalars()
        return [(e.actor, e.data["via"], e.data["scope"], e.data["references"]) for e in events]


@pytest.fixture
def two_cases(make):
    return [make.case("admin_review"), make.case("admin_review")]


def test_the_queue_is_one_consultation_naming_its_cases(cw, make, two_cases, client, auth):
    auth.as_actor(make.staff("admin"))
    assert client.get("/queue").status_code == 200
    [(who, via, listing, refs)] = listings(cw)
    assert (who, via, listing, sorted(refs)) == ("wa.admin", "web", "queue", sorted(two_cases))


def test_the_dashboard_excerpts_are_one_consultation(cw, make, two_cases, client, auth):
    auth.as_actor(make.staff("supervisor"))
    assert client.get("/dashboard").status_code == 200
    assert [(v, listing, sorted(r)) for _, v, listing, r in listings(cw)] == [("web", "dashboard", sorted(two_cases))]


def test_the_api_list_is_one_consultation(cw, make, two_cases, client):
    assert client.get("/api/v1/cases", headers=Bearer(cw, make)("admin")).status_code == 200
    assert [(v, listing, r) for _, v, listing, r in listings(cw)] == [("api", "cases", two_cases)]


def test_the_cli_list_is_one_consultation(cw, make, two_cases):
    ran = CliRunner().invoke(main, ["--db", cw.settings.database_url, "cases", "list", "--as", "wa.admin"])
    assert ran.exit_code == 0, ran.output
    assert [(v, listing, r) for _, v, listing, r in listings(cw)] == [("cli", "cases", two_cases)]


def test_an_empty_list_shows_nobody_and_records_nothing(cw, make, client, auth):
    auth.as_actor(make.staff("admin"))
    client.get("/queue")
    assert listings(cw) == []


def test_the_auditor_finds_list_views_in_each_case_log_and_each_user_log(cw, make, two_cases, client, auth):
    auth.as_actor(make.staff("admin"))
    client.get("/queue")
    client.get("/queue")
    auditor = make.staff("auditor")
    for ref in two_cases:
        seen = disclosure.for_case(cw, auditor, ref)
        assert [(d.actor, d.action, d.via) for d in seen] == [("wa.admin", "viewed", "web")] * 2
        assert "team queue: 2 case(s)" in seen[0].what
    assert len(disclosure.by_user(cw, auditor, "wa.admin")) == 2
