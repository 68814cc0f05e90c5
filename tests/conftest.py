"""Fixtures: a migrated database per test (SQLite file, and PostgreSQL when configured), a frozen clock.

Under pytest-xdist (`make test` runs `-n 2`) each worker has a PostgreSQL database of its own, named after the
configured one and the worker (`test_gw0`), created if missing and emptied at the start of the worker's session.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher, profiles
from flask import Flask
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from casework.access import passwords
from casework.bootstrap import bootstrap
from casework.clock import FrozenClock
from casework.config import Settings
from casework.storage.db import make_engine
from casework.storage.schema import migrate
from tests.factories import Factory

pytest_plugins = ["tests.notify_support"]  # SMTP, webhook-receiver and staff fixtures

CONFIGURED_PG_URL = os.environ.get("CASEWORK_TEST_DATABASE_URL")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... under pytest-xdist; unset in a plain run


def _worker_url(url: str | None) -> str | None:
    """The worker's own database beside the configured one, so parallel workers never share rows."""
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(False)


PG_URL = _worker_url(CONFIGURED_PG_URL)
IN_CI = os.environ.get("CI", "").lower() == "true"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, GMT
# Tests sign with their own key; an instance gets a random one from `casework init`.
TEST_SECRET_KEY = "tests-only-" + os.urandom(24).hex()


def _postgres_or_skip():
    """PostgreSQL tests fail rather than skip in CI, where PostgreSQL is required."""
    if not CONFIGURED_PG_URL:
        if IN_CI:
            pytest.fail("CI=true but CASEWORK_TEST_DATABASE_URL is not set: PostgreSQL tests must run")
        pytest.skip("CASEWORK_TEST_DATABASE_URL not set")
    engine = make_engine(CONFIGURED_PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
            if PG_URL != CONFIGURED_PG_URL:
                _ensure_database(connection, make_url(PG_URL).database)
    except OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable at {CONFIGURED_PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        engine.dispose()
    return make_engine(PG_URL)


def _ensure_database(connection, name: str) -> None:
    """The worker's database, created on first use and kept: `postgres_engine` empties it by recreating its
    schema, as a plain run does with the configured one. (DROP DATABASE forces a checkpoint: 8-12 s here.)"""
    if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))  # a fault test may have died


@pytest.fixture(scope="session", autouse=True)
def compiled_templates(tmp_path_factory):
    """Every Flask app in the session shares one cache of compiled templates: each test builds its own app,
    so its own Jinja environment, which would otherwise compile each template again (a quarter of a web
    test's time). Sound because every app comes from `create_app`, so every environment is configured alike."""
    cache = FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja-bytecode")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", {**Flask.jinja_options, "bytecode_cache": cache})
        yield


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2 at the cost argon2-cffi offers for tests: a default hash takes 0.1-0.6 s here, and users sign in
    in hundreds of tests. Still real argon2id hashes and checks; the tests of sign-in hardening count checks."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        passwords._decoy_hash.cache_clear()
        yield
    passwords._decoy_hash.cache_clear()


@pytest.fixture(autouse=True)
def instance_folder(tmp_path, monkeypatch):
    """Each test's own instance folder, so `casework init` never writes a secret into the working tree."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("CASEWORK_SECRET_KEY", raising=False)
    return folder


@pytest.fixture(autouse=True)
def evidence_key_file(tmp_path, monkeypatch):
    """Each test's own evidence signing key path, so `casework init` never writes into the checkout."""
    path = tmp_path / "keys" / "evidence-signing.key"
    monkeypatch.setenv("CASEWORK_EVIDENCE_KEY_FILE", str(path))
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "casework.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine():
    engine = _postgres_or_skip()
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine)
    yield engine
    engine.dispose()


# The tables to empty, and the sequences their columns own (what TRUNCATE ... RESTART IDENTITY restarts).
_TABLES_AND_SEQUENCES = text(
    """
    SELECT 'table', quote_ident(tablename) FROM pg_tables
     WHERE schemaname = 'public' AND tablename <> 'alembic_version'
    UNION ALL
    SELECT 'sequence', quote_ident(s.relname) FROM pg_class s
      JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = 'public'
      JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid AND t.relkind = 'r' AND t.relname <> 'alembic_version'
     WHERE s.relkind = 'S'
    """
)


def _reset_postgres(engine) -> None:
    """Empty every table and restart the sequences they own, as TRUNCATE ... RESTART IDENTITY would.

    DELETE, because the tests' tables hold a few rows: TRUNCATE gives each of the 29 tables and their
    indexes new files, 60-100 ms a test; these deletes take under 10 ms."""
    with engine.begin() as connection:
        found = connection.execute(_TABLES_AND_SEQUENCES).all()
        tables = [name for kind, name in found if kind == "table"]
        sequences = [name for kind, name in found if kind == "sequence"]
        # replica: no trigger fires, so neither the append-only guards nor the foreign keys stop the deletes
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.exec_driver_sql(
            "; ".join([f"DELETE FROM {t}" for t in tables] + [f"ALTER SEQUENCE {s} RESTART" for s in sequences])
        )
        connection.execute(text("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template):
    """A freshly migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "casework.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    engine = request.getfixturevalue("postgres_engine")
    _reset_postgres(engine)
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    """A freshly migrated SQLite file, for tests that need only the default database."""
    path = tmp_path / "casework.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def cw(database_url, clock, evidence_key_file):
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, evidence_key_file=str(evidence_key_file))
    runtime = bootstrap(settings, clock=clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def make(cw):
    """Factories for users and cases that go through the real services."""
    return Factory(cw)


@pytest.fixture
def postgres_url(postgres_engine):
    """A freshly emptied PostgreSQL database, for tests of PostgreSQL's own behaviour."""
    _reset_postgres(postgres_engine)
    return PG_URL
