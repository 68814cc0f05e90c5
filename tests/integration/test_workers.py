"""Two `casework worker` processes on PostgreSQL: one sweeps at a time, the other takes over when it dies."""

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from casework.storage.tables import CaseEvent
from tests.integration.sla_helpers import POSTGRES_ONLY
from tests.polling import wait_for

CASEWORK = str(Path(sys.executable).parent / "casework")


def start_worker(url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SLA_SWEEP_SECONDS": "0.2"}
    with log.open("w") as stream:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([CASEWORK, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=stream)


def sla_marks(cw) -> tuple[int, int]:
    """(events, distinct (case, clock, run, kind)): equal when nothing was recorded twice."""
    key = (CaseEvent.case_id, CaseEvent.data["clock"].as_string(), CaseEvent.data["run"].as_string(), CaseEvent.action)
    with cw.reader() as uow:
        rows = uow.session.execute(select(*key).where(CaseEvent.action.in_(("sla_warning", "sla_breach")))).all()
    return len(rows), len(set(rows))


def swept(logs: list[Path]) -> tuple[int, int]:
    """(warnings, breaches) the workers' logs say they recorded, in all."""
    counts = [
        tuple(map(int, m))
        for log in logs
        for m in re.findall(r"SLA sweep: (\d+) warnings, (\d+) breaches", log.read_text())
    ]
    return (sum(c[0] for c in counts), sum(c[1] for c in counts))


@POSTGRES_ONLY
def test_two_workers_record_each_warning_and_breach_once_and_one_takes_over(cw, make, clock, tmp_path):
    url = cw.engine.url.render_as_string(hide_password=False)
    clock.set(datetime.now(UTC) - timedelta(hours=3))
    for _ in range(10):
        make.case()  # review started: warning and breach each due
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first, second = (start_worker(url, log) for log in logs)
    try:
        # Killed once the marks are in and accounted for in a log (a worker logs its sweep just after
        # its events are linked), so the sum below can only be off by work done twice.
        assert wait_for(lambda: sla_marks(cw) == (20, 20) and swept(logs) == (10, 10), timeout=30)
        first.send_signal(signal.SIGKILL)  # dies mid-flight: no clean shutdown
        first.wait(timeout=10)
        for _ in range(10):
            make.case()
        assert wait_for(lambda: sla_marks(cw) == (40, 40), timeout=30)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0
    finally:
        for worker in (first, second):
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert swept(logs) == (20, 20)  # the workers' own accounts add up: nothing done twice
    assert "worker stopped" in logs[1].read_text()
