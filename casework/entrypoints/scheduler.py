"""APScheduler (3.11, UTC) for the jobs that run on time: the SLA sweep and whatever other modules add.

Deadlines live in database rows; the scheduler only runs a few interval jobs that sweep them, never a
job per case, and keeps no job store (an APScheduler job store cannot be shared between processes).
`casework worker` runs a blocking scheduler; `casework serve` embeds one background scheduler per
process (`start_embedded`), not in the Flask reloader's watcher process, and not at all with
CASEWORK_SCHEDULER=off. Several processes may each run one (gunicorn workers, several `casework
worker`s): that is safe because each sweep takes a PostgreSQL advisory lock, so one sweeps at a time,
and marks each warning and breach with a conditional UPDATE, so each is recorded once.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from casework.errors import ValidationError
from casework.runtime import Casework
from casework.storage.heartbeat import beat

log = logging.getLogger(__name__)
OFF = {"off", "0", "false", "no"}


@dataclass(frozen=True)
class Job:
    """A job: `target` ("module:function") is called with the runtime; an interval or a cron trigger."""

    id: str
    target: str
    trigger: str = "interval"
    every: float = 60.0  # seconds, for interval jobs
    every_env: str | None = None  # environment variable that overrides `every`
    trigger_args: dict[str, Any] = field(default_factory=dict)  # e.g. {"hour": 3} for a daily cron job
    run_at_start: bool = False  # e.g. catch up at once after downtime

    def seconds(self, env: Mapping[str, str]) -> float:
        if not self.every_env:
            return self.every
        raw = env.get(self.every_env)
        if raw is None or raw == "":
            return self.every
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0.05 <= value <= 86_400:
            raise ValidationError({self.every_env: f"must be a number of seconds from 0.05 to 86400, not {raw!r}"})
        return value

    def schedule(self, env: Mapping[str, str]) -> dict[str, Any]:
        """Trigger arguments, with a misfire grace that lets a late run happen rather than be dropped."""
        if self.trigger == "interval":
            seconds = self.seconds(env)
            # A run late by up to one interval still runs (coalesced); later than that, the next one is near.
            return dict(seconds=seconds, misfire_grace_time=max(1, int(seconds)), **self.trigger_args)
        return dict(misfire_grace_time=3600, **self.trigger_args)


JOBS: list[Job] = [
    Job("sla.sweep", "casework.sla.sweep:sweep", every=30.0, every_env="CASEWORK_SLA_SWEEP_SECONDS", run_at_start=True),
    Job(
        "notifications.dispatch",
        "notifications.dispatch:dispatch_pending",
        every=10.0,
        every_env="CASEWORK_NOTIFY_DISPATCH_SECONDS",
        run_at_start=True,
    ),
    Job(
        "retention.run",
        "casework.audit.retention:run_retention",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 15},
    ),
    # Beats as often as the sweep runs: /readyz calls the scheduler dead after three missed beats.
    Job(
        "scheduler.heartbeat",
        "casework.entrypoints.scheduler:heartbeat",
        every=30.0,
        every_env="CASEWORK_SLA_SWEEP_SECONDS",
        run_at_start=True,
    ),
    Job(
        "storage.checkpoint",
        "casework.storage.maintenance:checkpoint_wal",
        every=300.0,
        every_env="CASEWORK_SQLITE_CHECKPOINT_SECONDS",
    ),
    Job(
        "evidence.redact",
        "casework.evidence.redaction:redact_due",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 45},
    ),
    Job(
        "evidence.capture",
        "casework.evidence.capture:sweep",
        every=30.0,
        every_env="CASEWORK_CAPTURE_SWEEP_SECONDS",
        run_at_start=True,
    ),
    Job(
        "audit.verify", "casework.audit.checks:scheduled_verify", trigger="cron", trigger_args={"hour": 2, "minute": 30}
    ),
    # Writers link their own events at once; this catches those of a process that stopped in between.
    Job("audit.link", "casework.audit.checks:link_queued", every=30.0, run_at_start=True),
    Job("sessions.sweep", "casework.access.sessions:sweep", every=300.0, every_env="CASEWORK_SESSION_SWEEP_SECONDS"),
]


def add_job(job: Job) -> None:
    """Register a job for every scheduler built from now on (other modules: dispatch, retention)."""
    if any(j.id == job.id for j in JOBS):
        raise ValueError(f"a job {job.id!r} is already registered")
    JOBS.append(job)


def heartbeat(cw: Casework) -> None:
    """Update the heartbeat row with this job's own interval."""
    [job] = [j for j in JOBS if j.id == "scheduler.heartbeat"]
    beat(cw, job.seconds(os.environ))


def _call(target: str, cw: Casework) -> None:
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(cw)


def _log_event(event: JobEvent) -> None:
    if isinstance(event, JobSubmissionEvent):  # EVENT_JOB_MAX_INSTANCES: a list of run times, not one
        times = ", ".join(str(t) for t in event.scheduled_run_times)
        log.warning("job %s still running at %s: this run skipped", event.job_id, times)
    elif isinstance(event, JobExecutionEvent) and event.code == EVENT_JOB_ERROR:
        log.error(
            "job %s failed: %r",
            event.job_id,
            event.exception,
            exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
        )
    elif isinstance(event, JobExecutionEvent) and event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)


def build_scheduler(
    cw: Casework, blocking: bool, env: Mapping[str, str] | None = None, jobs: list[Job] | None = None
) -> BaseScheduler:
    """A scheduler in UTC with every registered job: one instance each, missed runs coalesced."""
    env = os.environ if env is None else env
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    for job in JOBS if jobs is None else jobs:
        start = {"next_run_time": datetime.now(UTC)} if job.run_at_start else {}
        scheduler.add_job(
            _call,
            job.trigger,
            args=(job.target, cw),
            id=job.id,
            name=job.id,
            max_instances=1,
            coalesce=True,
            **start,
            **job.schedule(env),
        )
    scheduler.add_listener(_log_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    return scheduler


_embedded: BackgroundScheduler | None = None
_embedded_lock = threading.Lock()


def start_embedded(
    cw: Casework, use_reloader: bool = False, env: Mapping[str, str] | None = None
) -> BackgroundScheduler | None:
    """Start this process's one background scheduler for `casework serve`; None where none should run."""
    global _embedded
    env = os.environ if env is None else env
    if env.get("CASEWORK_SCHEDULER", "on").strip().lower() in OFF:
        log.info("embedded scheduler off (CASEWORK_SCHEDULER=off)")
        return None
    if use_reloader and env.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the reloader's watcher process: only the child it runs serves and schedules
    with _embedded_lock:
        if _embedded is None:
            _embedded = build_scheduler(cw, blocking=False, env=env)
            _embedded.start()
            log.info("embedded scheduler started in process %d", os.getpid())
        return _embedded


def stop_embedded() -> None:
    """Stop this process's embedded scheduler, if any (at exit, and between tests)."""
    global _embedded
    with _embedded_lock:
        if _embedded is not None:
            _embedded.shutdown(wait=True)
            _embedded = None
