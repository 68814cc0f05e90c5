"""`casework sla sweep` and `casework sla status` on both databases."""

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from casework.entrypoints.cli import main


def run(cw, *args):
    return CliRunner().invoke(main, ["--db", cw.settings.database_url, *args], catch_exceptions=False)


def test_sweep_prints_what_it_recorded_and_a_second_sweep_nothing(cw, make, clock):
    clock.set(datetime.now(UTC) - timedelta(hours=2))  # the CLI runs on the system clock
    ref = make.case()
    first = run(cw, "sla", "sweep")
    assert first.exit_code == 0, first.output
    assert f"warning {ref} review_started" in first.output
    assert f"BREACH  {ref} review_started" in first.output
    assert "recorded 1 warning and 1 breach" in first.output
    assert "recorded 0 warnings and 0 breaches" in run(cw, "sla", "sweep").output


def test_status_shows_running_clocks_due_soonest_and_breaches_in_london_time(cw, make, clock):
    clock.set(datetime.now(UTC) - timedelta(hours=2))
    overdue = make.case()
    clock.set(datetime.now(UTC))
    make.case(force="west_mercia")
    run(cw, "sla", "sweep")
    out = run(cw, "sla", "status", "--force", "warwickshire").output
    assert "Running clocks, due soonest" in out and "Latest breaches" in out
    assert out.index(overdue) < out.index("Latest breaches")
    assert "overdue by 1 h" in out
    assert "WM-" not in out
    assert ("GMT" in out) or ("BST" in out)
    assert run(cw, "sla", "status", "--force", "atlantis").exit_code == 2
