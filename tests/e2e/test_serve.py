"""`casework serve` starts the app on the database `casework init` made: it prints the URL, and answers."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import TEST_SECRET_KEY
from tests.notify_support import free_port


def _get(url: str, deadline: float) -> int:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # the listening socket opens just after the banner


def test_serve_on_a_database_init_made_serves_the_sign_in_page(tmp_path):
    port = free_port()
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "PYTHONUNBUFFERED": "1"}
    cli = Path(sys.executable).parent / "casework"
    subprocess.run([str(cli), "init"], env=env, check=True, capture_output=True, timeout=60)
    process = subprocess.Popen(
        [str(cli), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        banner = []
        while not any("serving on" in line for line in banner):
            line = process.stdout.readline()
            assert line, f"serve exited early: {''.join(banner)}"
            banner.append(line)
        assert f"casework is serving on http://127.0.0.1:{port}/" in banner[-1]
        assert _get(f"http://127.0.0.1:{port}/login", time.monotonic() + 15) == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_serve_embeds_the_scheduler_which_records_a_due_breach(tmp_path):
    from datetime import timedelta

    from sqlalchemy import select

    from casework.bootstrap import bootstrap
    from casework.clock import FrozenClock, SystemClock
    from casework.config import Settings
    from casework.storage.schema import migrate
    from casework.storage.tables import CaseEvent
    from tests.factories import Factory

    url = f"sqlite:///{tmp_path / 'due.db'}"
    cw = bootstrap(
        Settings(secret_key=TEST_SECRET_KEY, database_url=url),
        clock=FrozenClock(SystemClock().now() - timedelta(hours=2)),
    )
    migrate(cw.engine)
    Factory(cw).case("detected")  # flagged two hours ago: the 1-hour review-started clock is overdue
    port = free_port()
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SLA_SWEEP_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "casework"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, breaches = time.monotonic() + 30, []
        while not breaches and time.monotonic() < deadline:
            with cw.reader() as uow:
                breaches = list(
                    uow.session.execute(
                        select(CaseEvent.data).where(CaseEvent.actor == "system:sla", CaseEvent.action == "sla_breach")
                    ).scalars()
                )
            time.sleep(0.1)
        assert any(b["clock"] == "review_started" for b in breaches)
    finally:
        process.terminate()
        process.wait(timeout=10)
        cw.engine.dispose()


def test_serve_lists_the_demo_accounts_the_database_has(cw, make):
    from casework.entrypoints.cli.serve import _demo_logins

    assert _demo_logins(cw) == []
    make.user("wk.admin", ["channel_admin"])
    make.user("auditor", ["auditor"], forces=["warwickshire", "west_mercia"])
    assert _demo_logins(cw) == [
        "demo logins, password 'casework-demo':",
        "  wk.admin     channel_admin (warwickshire)",
        "  auditor      auditor (warwickshire, west_mercia)",
    ]


FROZEN = "import gc, sys; print('frozen', gc.get_freeze_count(), file=sys.stderr)"


def test_a_serving_process_keeps_what_start_up_built_out_of_its_garbage_collections(tmp_path):
    """A full collection rescanned every module, model and template: 40-80 ms added to about every tenth page."""
    env = {
        **os.environ,
        "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'gc.db'}",
        "CASEWORK_SECRET_KEY": TEST_SECRET_KEY,
    }
    cli = Path(sys.executable).parent / "casework"
    subprocess.run([str(cli), "init"], env=env, check=True, capture_output=True, timeout=60)
    serving = (  # `casework serve` up to the moment waitress would take over
        f"import waitress; waitress.serve = lambda app, **options: exec({FROZEN!r}); "
        "from casework.entrypoints.cli import main; main(['serve', '--no-scheduler'])"
    )
    for program in (serving, f"import web.wsgi; {FROZEN}"):
        done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60)
        frozen = [line for line in done.stderr.splitlines() if line.startswith("frozen ")]
        assert frozen and int(frozen[-1].split()[1]) > 10_000, done.stderr[-2000:]
