"""`casework webhooks disable|enable ID`: a disabled endpoint receives nothing new; both are audit events."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.audit import verify as audit
from casework.cases.actions import apply_trigger
from casework.entrypoints.cli import main
from casework.intake import flags as intake
from casework.notify.endpoints import add_webhook, list_webhooks
from casework.storage.tables import CaseEvent
from notifications.dispatch import dispatch_pending
from tests.factories import REFER
from tests.notify_support import rows

SECRET = "a-shared-secret-of-some-length"


@pytest.fixture
def cli(database_url):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["--db", database_url, *args], catch_exceptions=False)


@pytest.fixture
def refer(cw, make, staff):
    """Refer a new case in Warwickshire (Comms hears of it) and return its reference."""
    ann = staff.add("ann", "channel_admin")

    def refer_one() -> str:
        ref = intake.flag_comment(cw, ann, make.flag_payload()).case.reference
        apply_trigger(cw, ann, ref, "start_review")
        apply_trigger(cw, ann, ref, "refer", REFER)
        return ref

    return refer_one


def events(cw, *actions):
    with cw.reader() as uow:
        return list(
            uow.session.execute(
                select(CaseEvent).where(CaseEvent.action.in_(actions)).order_by(CaseEvent.seq)
            ).scalars()
        )


def test_a_disabled_endpoint_receives_nothing_new_and_an_enabled_one_receives_again(
    cw, cli, refer, webhook_receiver, smtp_server
):
    endpoint = add_webhook(cw, "warwickshire", "comms", webhook_receiver.url, SECRET)
    queued = refer()
    out = cli("webhooks", "disable", str(endpoint.id))
    assert out.exit_code == 0 and out.output.strip() == f"webhook {endpoint.id} disabled"
    assert [e.active for e in list_webhooks(cw)] == [False]
    refer()  # while it is off: no webhook row at all
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert webhook_receiver.requests == [] and report.dead == 1
    (held,) = rows(cw, channel="webhook")
    assert held.payload["reference"] == queued and held.status == "dead" and "switched off" in held.last_error

    assert cli("webhooks", "enable", str(endpoint.id)).output.strip() == f"webhook {endpoint.id} enabled"
    after = refer()
    assert dispatch_pending(cw, settings=smtp_server.settings()).sent == 1
    assert [body["reference"] for body in webhook_receiver.bodies()] == [after]


def test_switching_is_recorded_in_the_audit_chain_once_per_change(cw, cli):
    endpoint = add_webhook(cw, "warwickshire", "comms", "https://hooks.example/c", SECRET)
    cli("webhooks", "disable", str(endpoint.id))
    again = cli("webhooks", "disable", str(endpoint.id))
    assert again.exit_code == 0 and "was already disabled" in again.output
    cli("webhooks", "enable", str(endpoint.id))
    assert "was already enabled" in cli("webhooks", "enable", str(endpoint.id)).output
    recorded = events(cw, "webhook_added", "webhook_disabled", "webhook_enabled")
    assert [e.action for e in recorded] == ["webhook_added", "webhook_disabled", "webhook_enabled"]
    assert all(e.actor == "system:cli" and e.case_id is None for e in recorded)
    assert recorded[1].data == {
        "endpoint": endpoint.id,
        "force": "warwickshire",
        "team": "comms",
        "host": "hooks.example",
    }
    assert SECRET not in str([e.data for e in recorded])
    assert [e.active for e in list_webhooks(cw)] == [True]
    with cw.reader() as uow:
        assert audit.verify(uow.session).ok


def test_an_unknown_endpoint_is_refused(cw, cli):
    for verb in ("disable", "enable"):
        out = cli("webhooks", verb, "99")
        assert out.exit_code == 4 and "no webhook endpoint 99" in out.output
    assert events(cw, "webhook_disabled", "webhook_enabled") == []
