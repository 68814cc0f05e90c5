"""DPA 2018 s.62: a list that shows personal data is one consultation naming the cases it showed."""

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select

from casework.audit import disclosure, list_export
from casework.bootstrap import bootstrap
from casework.cases import consultation, listing
from casework.config import Settings
from casework.entrypoints.cli import main
from casework.storage import chain
from casework.storage.schema import alembic_config
from casework.storage.tables import CaseEvent
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.api_helpers import Bearer
from tests.factories import Factory
from tests.tampering import raw, verify


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


def test_a_csv_of_a_list_is_in_the_log_of_each_case_it_named_and_only_theirs(cw, make, two_cases):
    auditor, unlisted = make.staff("auditor"), make.case("closed")
    query = listing.parse_query(cw, {"state": ["admin_review"]})
    list_export.export_list(cw, auditor, query, "Crown Prosecution Service", "charging file")
    for ref in two_cases:
        [logged] = disclosure.for_case(cw, auditor, ref)
        assert (logged.action, logged.recipient) == ("exported", "Crown Prosecution Service")
        assert "CSV of a list of cases: 2 case(s)" in logged.what
    assert disclosure.for_case(cw, auditor, unlisted) == []


def test_two_lists_in_one_instant_by_one_user_are_each_in_the_log_of_the_cases_they_showed(cw, make, two_cases):
    first, second = two_cases
    admin, auditor = make.staff("admin"), make.staff("auditor")
    consultation.log_list(cw, admin, scope="cases", via="api", shown=[(first, "warwickshire")], detail={})
    consultation.log_list(cw, admin, scope="search", via="web", shown=[(second, "warwickshire")], detail={})
    assert [d.what for d in disclosure.for_case(cw, auditor, first)] == [f"list of cases: 1 case(s), {first}"]
    assert [d.what for d in disclosure.for_case(cw, auditor, second)] == [f"search results: 1 case(s), {second}"]


def test_the_migration_finds_the_lists_recorded_before_it(cw, make, two_cases, client, auth):
    auth.as_actor(make.staff("admin"))
    client.get("/queue")
    list_export.export_list(cw, make.staff("auditor"), listing.parse_query(cw, {}), "ICO", "subject access")
    config = alembic_config()
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0022")  # no listed_cases: the lists are only in their events
        command.upgrade(config, "heads")
    for ref in two_cases:
        assert [d.action for d in disclosure.for_case(cw, make.staff("auditor"), ref)] == ["exported", "viewed"]


def test_verify_names_a_case_whose_log_lost_a_list_it_was_shown_in(cw, make, two_cases, client, auth):
    auth.as_actor(make.staff("admin"))
    client.get("/queue")
    assert verify(cw).ok, verify(cw).describe()
    gone = two_cases[1]
    raw(cw, f"DELETE FROM listed_cases WHERE reference = '{gone}'")  # the disclosure log now hides the view
    result = verify(cw)
    assert not result.ok and result.case_reference == gone
    assert "lacks the list wa.admin was shown at" in result.problem
    ran = CliRunner().invoke(main, ["--db", cw.settings.database_url, "audit", "verify"])
    assert ran.exit_code == 1 and gone in ran.output


def test_verify_names_a_list_in_a_case_log_that_no_event_records(cw, make, two_cases, client, auth):
    auth.as_actor(make.staff("admin"))
    client.get("/queue")
    forged = make.case("admin_review")  # not on the queue page the admin was shown
    raw(cw, f"INSERT INTO listed_cases (reference, at, actor) SELECT '{forged}', at, actor FROM listed_cases LIMIT 1")
    result = verify(cw)
    assert not result.ok and result.case_reference == forged
    assert "which no event records" in result.problem


def test_lists_in_one_instant_sharing_a_case_verify(cw, make, two_cases):
    admin = make.staff("admin")  # the clock is frozen: one instant, and one listed_cases row a case
    for scope in ("cases", "search", "queue"):
        consultation.log_list(
            cw, admin, scope=scope, via="api", shown=[(r, "warwickshire") for r in two_cases], detail={}
        )
    list_export.export_list(cw, make.staff("auditor"), listing.parse_query(cw, {}), "ICO", "subject access")
    assert verify(cw).ok, verify(cw).describe()


@pytest.mark.postgres
def test_lists_committed_but_not_yet_linked_verify(postgres_url, clock, monkeypatch):
    cw = bootstrap(Settings(database_url=postgres_url, secret_key=TEST_SECRET_KEY), clock=clock)
    factory = Factory(cw)
    shown = [(factory.case("admin_review"), "warwickshire")]
    monkeypatch.setattr(chain, "link_pending", lambda engine: None)  # a writer that stopped after its commit
    consultation.log_list(cw, factory.staff("admin"), scope="queue", via="web", shown=shown, detail={})
    result = verify(cw)
    cw.engine.dispose()
    assert result.ok and result.queued == 1, result.describe()
