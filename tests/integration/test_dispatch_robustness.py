"""Nothing lost, nothing sent twice: a dispatcher killed mid-batch, two dispatchers at once, the CLI view."""

import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from casework.cases.actions import apply_trigger
from casework.entrypoints.cli import main
from casework.intake import flags as intake
from notifications.dispatch import CRASH_AFTER_SEND, dispatch_pending
from tests.factories import REFER
from tests.notify_support import rows

CASEWORK = str(Path(sys.executable).with_name("casework"))


def refer_cases(cw, make, staff, count: int) -> None:
    ann = staff.add("ann", "channel_admin")
    staff.add("ben", "crime_bureau")
    staff.add("cat", "comms")
    for _ in range(count):
        ref = intake.flag_comment(cw, ann, make.flag_payload()).case.reference
        apply_trigger(cw, ann, ref, "start_review")
        apply_trigger(cw, ann, ref, "refer", REFER)


def smtp_env(server) -> dict:
    return {
        "CASEWORK_SMTP_HOST": "127.0.0.1",
        "CASEWORK_SMTP_PORT": str(server.port),
        "CASEWORK_SMTP_FROM": "casework <casework@police.example>",
        "CASEWORK_SMTP_TIMEOUT": "5",
    }


def test_a_dispatcher_killed_after_sending_resends_the_same_message_and_loses_none(
    cw, make, staff, smtp_server, database_url, clock
):
    clock.set(datetime.now(UTC).replace(microsecond=0))  # the child process runs on the real clock
    refer_cases(cw, make, staff, 1)
    child = subprocess.run(
        [CASEWORK, "--db", database_url, "notifications", "dispatch"],
        env={**os.environ, **smtp_env(smtp_server), CRASH_AFTER_SEND: "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 70, child.stderr
    assert len(smtp_server.messages) == 1  # sent, then killed before it could mark it
    ((first_rcpts, first),) = smtp_server.messages
    claimed = rows(cw, channel="email")
    assert all(r.status == "pending" and r.attempts == 1 for r in claimed)
    lease_end = max(r.next_attempt_at for r in claimed)
    assert 60 <= (lease_end - clock.now()).total_seconds() < 120  # hidden from others while in flight (the lease)
    clock.set(lease_end)  # the claim's lease runs out
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert report.sent == 2 and all(r.status == "sent" for r in rows(cw, channel="email"))
    again = [m for rcpts, m in smtp_server.messages[1:] if rcpts == first_rcpts]
    assert [m["Message-ID"] for m in again] == [first["Message-ID"]]
    assert Counter(r for rcpts, _ in smtp_server.messages for r in rcpts) == Counter(
        ["ben@police.example", "cat@police.example", first_rcpts[0]]
    )  # one re-send, nobody missed


def test_two_dispatchers_at_once_send_each_notification_exactly_once(cw, make, staff, smtp_server):
    refer_cases(cw, make, staff, 20)
    settings = smtp_server.settings()

    def drain() -> int:
        sent = 0
        while (report := dispatch_pending(cw, limit=3, settings=settings)).claimed or report.inbox:
            sent += report.sent
        return sent

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: drain(), range(2)))
    ids = Counter(m["Message-ID"] for _, m in smtp_server.messages)
    assert len(ids) == 40 and set(ids.values()) == {1} and sum(counts) == 40
    assert all(r.status == "sent" and r.attempts == 1 for r in rows(cw))


def test_dead_letters_are_listed_and_retried_from_the_command_line(
    cw, make, staff, smtp_port_down, clock, database_url
):
    clock.set(datetime.now(UTC).replace(microsecond=0))
    refer_cases(cw, make, staff, 1)
    runner = CliRunner()
    env = {**smtp_env(smtp_port_down), "CASEWORK_NOTIFY_MAX_ATTEMPTS": "1", "CASEWORK_NOTIFY_DEAD_AFTER_HOURS": "0"}

    def cli(*args):
        return runner.invoke(main, ["--db", database_url, *args], env=env, catch_exceptions=False)

    out = cli("notifications", "dispatch")
    assert out.exit_code == 0 and "dead 2" in out.output
    listed = cli("notifications", "list", "--failed").output
    assert listed.count("dead") == 2 and "ConnectionRefusedError" in listed and "WK-2026-000001" in listed
    smtp_port_down.start()
    dead = rows(cw, channel="email")[0]
    assert f"notification {dead.id} queued again" in cli("notifications", "retry", str(dead.id)).output
    assert "sent 1" in cli("notifications", "dispatch").output
    assert cli("notifications", "list", "--failed").output.count("dead") == 1
    refused = cli("notifications", "retry", str(dead.id))
    assert refused.exit_code == 3 and "only failed or dead ones are retried" in refused.output


def test_webhooks_and_preferences_are_configured_from_the_command_line(cw, staff, database_url):
    staff.add("ann", "channel_admin")
    runner = CliRunner()

    def cli(*args, input=None):
        return runner.invoke(main, ["--db", database_url, *args], input=input, catch_exceptions=False)

    added = cli(
        "webhooks",
        "add",
        "--force",
        "warwickshire",
        "--team",
        "comms",
        "--url",
        "https://hooks.example/c",
        "--secret-stdin",
        input="a-secret-that-is-long-enough\n",
    )
    assert added.exit_code == 0 and "webhook 1: warwickshire/comms" in added.output
    generated = cli("webhooks", "add", "--force", "west_mercia", "--team", "supervisor", "--url", "https://h.example/s")
    assert "signing secret (shown once)" in generated.output
    listed = cli("webhooks", "list").output
    assert "https://hooks.example/c" in listed and "a-secret" not in listed
    bad = cli("webhooks", "add", "--force", "kent", "--team", "comms", "--url", "ftp://x")
    assert bad.exit_code == 3 and "force" in bad.output and "url" in bad.output
    assert (
        "quiet 22:00-07:00"
        in cli("notifications", "prefer", "ann", "sla_warning", "--no-email", "--quiet", "22:00-07:00").output
    )


@pytest.mark.parametrize("value", ["nope", "0"])
def test_bad_delivery_settings_are_refused_clearly(cw, database_url, value):
    result = CliRunner().invoke(
        main, ["--db", database_url, "notifications", "dispatch"], env={"CASEWORK_NOTIFY_MAX_ATTEMPTS": value}
    )
    assert result.exit_code == 3 and "CASEWORK_NOTIFY_MAX_ATTEMPTS" in result.output
