"""Signing in with a throttle: failed attempts are counted per username and per client address in the
database, so every web worker sees the same count, against the injected clock.

The per-address limit stops one client from spraying guesses over many usernames. The address is the
one the web layer passes in (`request.remote_addr`); behind a reverse proxy that is the proxy's,
unless `CASEWORK_TRUSTED_PROXIES` tells the app how many proxies' `X-Forwarded-For` to trust.
Successful sign-ins are never counted, so an office behind one address is only slowed by failures.
Each attempt is counted before its password check, under a row lock per username and address, so
concurrent guesses never run more password checks than the limit.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Index, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, col

from casework.access.users import authenticate
from casework.errors import AuthenticationFailed, CaseworkError
from casework.runtime import Casework
from casework.storage.db import UTCDateTime
from casework.storage.tables import User
from casework.storage.uow import UnitOfWork

MAX_FAILURES = 5
ADDRESS_MAX_FAILURES = 20
WINDOW = timedelta(minutes=15)


class SignInFailure(SQLModel, table=True):
    """One failed sign-in; rows older than the window are pruned when the username fails again."""

    __tablename__ = "signin_failures"
    __table_args__ = (
        Index("ix_signin_failures_username_at", "username", "at"),
        Index("ix_signin_failures_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)
    address: str | None = Field(default=None, max_length=64)


class SignInGate(SQLModel, table=True):
    """One row per username and per address tried, locked while an attempt is counted."""

    __tablename__ = "signin_gates"

    key: str = Field(primary_key=True, max_length=70)
    tried_at: datetime = Field(sa_type=UTCDateTime)


class TooManyAttempts(CaseworkError):
    """Too many failed sign-ins for one username or address; `details["retry_after"]` is in seconds."""

    http_status = 429
    exit_code = 5
    title = "Too many failed sign-ins"


class LocalSignInOff(AuthenticationFailed):
    """`CASEWORK_LOCAL_LOGIN=off` and the user is not flagged break-glass (said only after the right password)."""

    http_status = 403


def _key(username: str) -> str:
    return (username or "").strip().lower()[:64]


def _address(address: str | None) -> str | None:
    return (address or "").strip()[:64] or None


def _times(uow: UnitOfWork, column: Mapped[str | None], key: str, now: datetime) -> list[datetime]:
    return list(
        uow.session.execute(
            select(col(SignInFailure.at))
            .where(column == key, col(SignInFailure.at) > now - WINDOW)
            .order_by(col(SignInFailure.at))
        ).scalars()
    )


def _wait(times: list[datetime], limit: int, now: datetime) -> timedelta | None:
    """How long until fewer than `limit` of these failures fall in the window, or None when fewer do now."""
    return None if len(times) < limit else times[-limit] + WINDOW - now


def retry_after(cw: Casework, username: str) -> timedelta | None:
    """How long this username must wait before trying again, or None when it may try now."""
    with cw.reader() as uow:
        return _wait(_times(uow, col(SignInFailure.username), _key(username), cw.now()), MAX_FAILURES, cw.now())


def address_retry_after(cw: Casework, address: str | None) -> timedelta | None:
    """How long this client address must wait before trying any username again, or None."""
    address = _address(address)
    if address is None:
        return None
    with cw.reader() as uow:
        return _wait(_times(uow, col(SignInFailure.address), address, cw.now()), ADDRESS_MAX_FAILURES, cw.now())


def _refuse(wait: timedelta, what: str) -> TooManyAttempts:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return TooManyAttempts(
        f"too many failed sign-ins {what}; try again in {minutes} minute{'s' if minutes != 1 else ''}",
        details={"retry_after": math.ceil(wait.total_seconds())},
    )


def _lock_gates(uow: UnitOfWork, keys: list[str], now: datetime) -> None:
    """Lock one row per key (an upsert takes the row lock on PostgreSQL; SQLite holds its write lock)."""
    upsert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in sorted(keys):  # one order everywhere, so two attempts never wait on each other in a circle
        statement = upsert(SignInGate).values(key=key, tried_at=now)
        uow.session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"tried_at": now}))


def _gates(key: str, address: str | None) -> list[str]:
    return [f"u:{key}"] + ([f"a:{address}"] if address else [])


def _prune(uow: UnitOfWork, table: type[SQLModel], key: Mapped[Any], *where: ColumnElement[bool]) -> None:
    """Delete old rows no other attempt holds (SKIP LOCKED), so pruning never waits on, or deadlocks with, one."""
    unheld = select(key).where(*where).with_for_update(skip_locked=True)
    uow.session.execute(delete(table).where(key.in_(unheld.scalar_subquery())))


def _reserve(cw: Casework, key: str, address: str | None) -> int:
    """Count this attempt as a failure before the password is checked, under the gates' locks.

    Counting first is what keeps concurrent guesses within the limit: each one takes a place in the
    window or is refused, and a right password gives its place back.
    """
    now = cw.now()
    with cw.uow() as uow:
        _lock_gates(uow, _gates(key, address), now)
        if address is not None:
            wait = _wait(_times(uow, col(SignInFailure.address), address, now), ADDRESS_MAX_FAILURES, now)
            if wait is not None:
                raise _refuse(wait, "from this address")
        wait = _wait(_times(uow, col(SignInFailure.username), key, now), MAX_FAILURES, now)
        if wait is not None:
            raise _refuse(wait, "for this username")
        stale: ColumnElement[bool] = col(SignInFailure.username) == key
        if address is not None:
            stale = or_(stale, col(SignInFailure.address) == address)
        _prune(uow, SignInFailure, col(SignInFailure.id), stale, col(SignInFailure.at) <= now - WINDOW)
        _prune(uow, SignInGate, col(SignInGate.key), col(SignInGate.tried_at) <= now - WINDOW)
        failure = SignInFailure(username=key, at=now, address=address)
        uow.session.add(failure)
        uow.commit()
    assert failure.id is not None  # committed above
    return failure.id


def sign_in(cw: Casework, username: str, password: str, address: str | None = None) -> User:
    """Check the password unless the address or username is locked out; a failure keeps its count, success clears."""
    key, address = _key(username), _address(address)
    _reserve(cw, key, address)
    user = authenticate(cw, username, password)
    with cw.uow() as uow:
        _lock_gates(uow, _gates(key, address), cw.now())
        uow.session.execute(delete(SignInFailure).where(col(SignInFailure.username) == key))
        uow.commit()
    if not cw.settings.local_login and not user.break_glass:
        raise LocalSignInOff("password sign-in is switched off: sign in with the identity provider")
    return user
