"""Signing in with a throttle: failed attempts are counted per username and per client address in the
database, so every web worker sees the same count, against the injected clock.

The per-address limit stops one client from spraying guesses over many usernames. The address is the
one the web layer passes in (`request.remote_addr`); behind a reverse proxy that is the proxy's,
unless `CASEWORK_TRUSTED_PROXIES` tells the app how many proxies' `X-Forwarded-For` to trust.
Successful sign-ins are never counted, so an office behind one address is only slowed by failures.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Index, delete, or_, select
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, col

from casework.access.users import authenticate
from casework.errors import AuthenticationFailed, CaseworkError
from casework.runtime import Casework
from casework.storage.db import UTCDateTime
from casework.storage.tables import User

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


def _wait(cw: Casework, column: Mapped[str | None], key: str, limit: int) -> timedelta | None:
    """How long until fewer than `limit` failures for `key` fall in the window, or None when fewer do now."""
    now = cw.now()
    with cw.reader() as uow:
        times: list[datetime] = list(
            uow.session.execute(
                select(col(SignInFailure.at))
                .where(column == key, col(SignInFailure.at) > now - WINDOW)
                .order_by(col(SignInFailure.at))
            ).scalars()
        )
    if len(times) < limit:
        return None
    return times[-limit] + WINDOW - now


def retry_after(cw: Casework, username: str) -> timedelta | None:
    """How long this username must wait before trying again, or None when it may try now."""
    return _wait(cw, col(SignInFailure.username), _key(username), MAX_FAILURES)


def address_retry_after(cw: Casework, address: str | None) -> timedelta | None:
    """How long this client address must wait before trying any username again, or None."""
    address = _address(address)
    return None if address is None else _wait(cw, col(SignInFailure.address), address, ADDRESS_MAX_FAILURES)


def _refuse(wait: timedelta, what: str) -> TooManyAttempts:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return TooManyAttempts(
        f"too many failed sign-ins {what}; try again in {minutes} minute{'s' if minutes != 1 else ''}",
        details={"retry_after": math.ceil(wait.total_seconds())},
    )


def sign_in(cw: Casework, username: str, password: str, address: str | None = None) -> User:
    """Check the password unless the address or username is locked out; count failures; success clears them."""
    wait = address_retry_after(cw, address)
    if wait is not None:
        raise _refuse(wait, "from this address")
    wait = retry_after(cw, username)
    if wait is not None:
        raise _refuse(wait, "for this username")
    key, address, now = _key(username), _address(address), cw.now()
    try:
        user = authenticate(cw, username, password)
    except AuthenticationFailed:
        stale: ColumnElement[bool] = col(SignInFailure.username) == key
        if address is not None:
            stale = or_(stale, col(SignInFailure.address) == address)
        with cw.uow() as uow:
            uow.session.execute(delete(SignInFailure).where(stale, col(SignInFailure.at) <= now - WINDOW))
            uow.session.add(SignInFailure(username=key, at=now, address=address))
            uow.session.commit()
        raise
    with cw.uow() as uow:
        uow.session.execute(delete(SignInFailure).where(col(SignInFailure.username) == key))
        uow.session.commit()
    if not cw.settings.local_login and not user.break_glass:
        raise LocalSignInOff("password sign-in is switched off: sign in with the identity provider")
    return user
