"""Every configuration problem at once, before anything runs: `casework config check` and start-up.

Configuration that is only read when it is used fails late: a bad retention rule refuses every close of
its force, a negative SMTP timeout fails every e-mail, a force removed from the forces file stops its
cases' SLA clocks. Each check below collects problems by setting, so one run lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from casework.bootstrap import settings_problems
from casework.config import Settings
from casework.errors import CaseworkError
from casework.intake.channels import configured_channels
from casework.intake.detector import configured_detector
from casework.storage.db import make_engine, missing_sqlite_file
from casework.storage.tables import Case, table_of
from notifications.config import NotifySettings

Problems = dict[str, str]


def _collect(problems: Problems, check: Callable[[], Any], where: str) -> Any:
    """Run one check; a refusal adds its fields (or its message) to `problems`."""
    try:
        return check()
    except CaseworkError as exc:
        problems.update(exc.details.get("errors") or {where: exc.message})
        return None


def configuration_problems(env: Mapping[str, str] | None = None, database_url: str | None = None) -> Problems:
    """Every problem in the environment's configuration, by setting; empty when it is all sound."""
    source: Mapping[str, str] = os.environ if env is None else env
    problems: Problems = {}
    overrides = {"database_url": database_url} if database_url else {}
    settings: Settings | None = _collect(problems, lambda: Settings.from_env(source, **overrides), "forces_file")
    if settings is not None:
        problems.update(settings_problems(settings))
        _collect(problems, lambda: configured_channels(settings.forces, source), "CASEWORK_CHANNELS_FILE")
        problems.update(_forces_without_configuration(settings))
    _collect(problems, lambda: NotifySettings.from_env(source), "notifications")
    _collect(problems, lambda: configured_detector(source), "CASEWORK_DETECTOR_RULES")
    problems.update(_scheduler_problems(source))
    return problems


def _scheduler_problems(env: Mapping[str, str]) -> Problems:
    from casework.entrypoints.scheduler import JOBS

    problems: Problems = {}
    for job in JOBS:
        _collect(problems, partial(job.seconds, env), job.every_env or job.id)
    return problems


def _forces_without_configuration(settings: Settings) -> Problems:
    """Forces that own cases in the database but are missing from the forces file (none in a new database)."""
    cases = table_of(Case)
    if missing_sqlite_file(settings.database_url):
        return {}  # no database yet, so no cases (and connecting would create the file)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(cases.name):
                return {}
            owners = set(connection.execute(select(cases.c.force).distinct()).scalars())
    except SQLAlchemyError as exc:
        return {"CASEWORK_DATABASE_URL": f"cannot read the cases' forces: {type(exc).__name__}"}
    finally:
        engine.dispose()
    return {
        f"forces.{code}": "has cases in the database but is not in the forces file; "
        "its cases cannot be worked and its SLA clocks are not swept"
        for code in sorted(owners - set(settings.forces))
    }
