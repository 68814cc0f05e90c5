"""DPA 2018 s.62: every consultation and disclosure of a case is logged, and auditors can list them."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.audit import disclosure, exports
from casework.cases import queries
from casework.entrypoints.cli import main
from casework.errors import CaseNotFound, PermissionDenied, ValidationError
from casework.storage.tables import CaseEvent


def events(cw, action):
    with cw.reader() as uow:
        return list(
            uow.session.execute(select(CaseEvent).where(CaseEvent.action == action).order_by(CaseEvent.seq)).scalars()
        )


def view(cw, actor, ref, via):
    """Read the case as a page does, then log the consultation of what was read."""
    disclosure.log_view(cw, actor, queries.get_case(cw, actor, ref).case, via)


def test_a_view_is_recorded_with_who_when_what_and_how(cw, make, clock):
    ref = make.case("admin_review")
    admin = make.staff("admin")
    view(cw, admin, ref, "web")
    [viewed] = events(cw, "viewed")
    assert (viewed.actor, viewed.at, viewed.data) == (admin.username, clock.now(), {"reference": ref, "via": "web"})
    assert viewed.from_state == viewed.to_state == "admin_review"


def test_an_unknown_channel_is_refused(cw, make):
    with pytest.raises(ValidationError):
        view(cw, make.staff("admin"), make.case(), "fax")
    assert events(cw, "viewed") == []


def test_the_cli_case_view_is_logged(cw, make):
    ref = make.case()
    result = CliRunner().invoke(main, ["--db", cw.settings.database_url, "cases", "show", ref, "--as", "wa.admin"])
    assert result.exit_code == 0, result.output
    [viewed] = events(cw, "viewed")
    assert viewed.actor == "wa.admin" and viewed.data["via"] == "cli"


@pytest.mark.parametrize(
    "recipient,purpose,field",
    [("", "court bundle", "recipient"), ("CPS", "  ", "purpose"), ("CPS\nBcc: x", "court bundle", "recipient")],
)
def test_an_export_needs_a_recipient_and_a_purpose(cw, make, recipient, purpose, field):
    ref = make.case()
    with pytest.raises(ValidationError) as refused:
        exports.export_case(cw, make.staff("auditor"), ref, "json", recipient, purpose)
    assert field in refused.value.errors and events(cw, "exported") == []


def test_an_export_is_logged_with_its_recipient_and_purpose(cw, make):
    ref = make.case("closed")
    auditor = make.staff("auditor")
    exports.export_case(cw, auditor, ref, "csv", "Crown Prosecution Service", "charging decision")
    [exported] = events(cw, "exported")
    assert exported.actor == auditor.username
    assert exported.data == {
        "scope": "case",
        "reference": ref,
        "format": "csv",
        "cases": 1,
        "recipient": "Crown Prosecution Service",
        "purpose": "charging decision",
    }


def test_only_auditors_export_or_read_the_logs(cw, make):
    ref = make.case()
    with pytest.raises(PermissionDenied):
        exports.export_case(cw, make.staff("supervisor"), ref, "json", "CPS", "court bundle")
    with pytest.raises(PermissionDenied):
        disclosure.for_case(cw, make.staff("admin"), ref)


def test_auditors_list_disclosures_per_case_including_period_exports(cw, make, clock):
    ref, other = make.case(), make.case()
    auditor = make.staff("auditor")
    view(cw, make.staff("admin"), ref, "web")
    view(cw, make.staff("admin"), other, "api")
    today = clock.now().date()
    exports.export_period(cw, auditor, "warwickshire", today, today, "json", "ICO", "subject access request")
    listed = disclosure.for_case(cw, auditor, ref)
    assert [d.action for d in listed] == ["exported", "viewed"]
    assert listed[0].recipient == "ICO" and "warwickshire cases detected" in listed[0].what
    assert listed[1].via == "web" and listed[1].reference == ref


def test_auditors_list_disclosures_per_user(cw, make):
    ref = make.case()
    admin, auditor = make.staff("admin"), make.staff("auditor")
    view(cw, admin, ref, "web")
    view(cw, admin, ref, "cli")
    exports.export_case(cw, auditor, ref, "json", "Professional Standards", "misconduct review")
    assert [(d.action, d.via) for d in disclosure.by_user(cw, auditor, admin.username)] == [
        ("viewed", "cli"),
        ("viewed", "web"),
    ]
    [mine] = disclosure.by_user(cw, auditor, auditor.username)
    assert (mine.action, mine.recipient, mine.reference) == ("exported", "Professional Standards", ref)


def test_an_auditor_sees_only_the_forces_they_audit(cw, make):
    ref = make.case(force="west_mercia")
    view(cw, make.staff("admin", "west_mercia"), ref, "web")
    with pytest.raises(CaseNotFound):  # another force's case is answered as unknown
        disclosure.for_case(cw, make.staff("auditor"), ref)
    assert disclosure.by_user(cw, make.staff("auditor"), "we.admin") == []


def test_the_cli_history_is_logged_as_a_view_too(cw, make):
    ref = make.case()
    result = CliRunner().invoke(main, ["--db", cw.settings.database_url, "cases", "history", ref])
    assert result.exit_code == 0 and "viewed" not in result.output
    [viewed] = events(cw, "viewed")
    assert viewed.actor == "system:cli" and viewed.data == {"reference": ref, "via": "cli"}


def test_the_cli_history_prints_every_page_of_the_timeline_as_it_was_read(cw, make, monkeypatch):
    ref = make.case("closed")
    monkeypatch.setattr(queries, "HISTORY_PAGE", 2)
    result = CliRunner().invoke(main, ["--db", cw.settings.database_url, "cases", "history", ref])
    printed = [line.split()[0] for line in result.output.splitlines()]
    assert result.exit_code == 0 and "viewed" not in result.output  # its own view came after the read
    assert printed == [str(e.seq) for e in queries.history(cw, make.staff("auditor"), ref).events[:5]]
