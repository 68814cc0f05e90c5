"""The real APScheduler, in real time: the sweep job records breaches; errors and misses are logged."""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from casework.bootstrap import bootstrap
from casework.entrypoints import scheduler as sched
from casework.errors import ValidationError
from tests.integration.sla_helpers import sla_events
from tests.polling import wait_for

FAST = {"CASEWORK_SLA_SWEEP_SECONDS": "0.2"}


def explode(cw):
    raise RuntimeError("the job failed on purpose")


@pytest.fixture
def live(cw):
    """A second runtime on the same database with the real system clock, like a worker process."""
    return bootstrap(cw.settings, engine=cw.engine)


def test_the_running_scheduler_records_a_breach_once_at_its_true_time(cw, make, clock, live):
    clock.set(datetime.now(UTC) - timedelta(hours=2))
    ref = make.case()
    scheduler = sched.build_scheduler(live, blocking=False, env=FAST)
    scheduler.start()
    try:
        breaches = wait_for(lambda: [e for e in sla_events(cw, ref) if e.action == "sla_breach"])
        time.sleep(0.5)  # a few more sweeps run meanwhile
    finally:
        scheduler.shutdown(wait=True)
    assert [(e.data["clock"], e.at) for e in breaches] == [("review_started", clock.now() + timedelta(hours=1))]
    assert [e.action for e in sla_events(cw, ref)].count("sla_breach") == 1


def test_the_sweep_job_runs_once_at_a_time_in_utc_and_coalesces_missed_runs(live):
    scheduler = sched.build_scheduler(live, blocking=True, env=FAST)
    [job] = [j for j in scheduler.get_jobs() if j.id == "sla.sweep"]
    assert (job.id, job.max_instances, job.coalesce, job.misfire_grace_time) == ("sla.sweep", 1, True, 1)
    assert str(scheduler.timezone) == "UTC"
    assert job.trigger.interval == timedelta(seconds=0.2)


def test_a_bad_sweep_interval_is_refused_with_its_variable_named(live):
    with pytest.raises(ValidationError) as refused:
        sched.build_scheduler(live, blocking=False, env={"CASEWORK_SLA_SWEEP_SECONDS": "soon"})
    assert "CASEWORK_SLA_SWEEP_SECONDS" in refused.value.errors


def test_job_errors_and_missed_runs_are_logged(live, caplog):
    jobs = [
        sched.Job("boom", f"{__name__}:explode", every=0.1),
        sched.Job(
            "late",
            f"{__name__}:explode",
            trigger="date",
            trigger_args={"run_date": datetime.now(UTC) - timedelta(hours=2)},
        ),
    ]
    scheduler = sched.build_scheduler(live, blocking=False, jobs=jobs)
    with caplog.at_level(logging.WARNING, logger="casework.entrypoints.scheduler"):
        scheduler.start()
        try:
            wait_for(lambda: any("boom failed" in r.getMessage() for r in caplog.records))
        finally:
            scheduler.shutdown(wait=True)
    messages = [r.getMessage() for r in caplog.records]
    assert any("job late missed its run" in m for m in messages)
    assert any("the job failed on purpose" in m for m in messages)


def test_the_embedded_scheduler_starts_once_per_process_and_can_be_switched_off(live):
    try:
        assert sched.start_embedded(live, env={"CASEWORK_SCHEDULER": "off"}) is None
        assert sched.start_embedded(live, use_reloader=True, env={}) is None  # the reloader's watcher
        first = sched.start_embedded(live, use_reloader=True, env={"WERKZEUG_RUN_MAIN": "true", **FAST})
        assert first is not None and first.running
        assert sched.start_embedded(live, env=FAST) is first
    finally:
        sched.stop_embedded()
    assert not first.running


def test_other_modules_register_their_jobs_once(live, monkeypatch):
    monkeypatch.setattr(sched, "JOBS", list(sched.JOBS))
    sched.add_job(sched.Job("exports.nightly", f"{__name__}:explode", trigger="cron", trigger_args={"hour": 3}))
    with pytest.raises(ValueError):
        sched.add_job(sched.Job("exports.nightly", f"{__name__}:explode"))
    ids = [j.id for j in sched.build_scheduler(live, blocking=False, env=FAST).get_jobs()]
    assert ids[0] == "sla.sweep" and ids[-1] == "exports.nightly"
    assert {
        "notifications.dispatch",
        "retention.run",
        "audit.verify",
        "storage.checkpoint",
        "sessions.sweep",
        "evidence.redact",
        "evidence.capture",
    } <= set(ids)


def test_every_registered_job_names_a_function_that_exists():
    import importlib

    for job in sched.JOBS:
        module, _, name = job.target.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), job.id


_release = threading.Event()


def hold(cw):
    _release.wait(5)


def test_a_run_skipped_because_the_last_is_still_running_is_logged_as_a_warning(live, caplog):
    _release.clear()
    scheduler = sched.build_scheduler(live, blocking=False, jobs=[sched.Job("slow", f"{__name__}:hold", every=0.1)])
    with caplog.at_level(logging.WARNING, logger="casework.entrypoints.scheduler"):
        scheduler.start()
        try:
            wait_for(lambda: any("this run skipped" in r.getMessage() for r in caplog.records))
        finally:
            _release.set()
            scheduler.shutdown(wait=True)
    [skipped, *_] = [r for r in caplog.records if "this run skipped" in r.getMessage()]
    assert skipped.levelno == logging.WARNING
    assert skipped.getMessage().startswith("job slow still running at 20")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
