"""Signing in with a throttle: failed attempts are counted per username in the database, so every
web worker sees the same count, against the injected clock."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Index, delete, select
from sqlmodel import Field, SQLModel

from casework.db import UTCDateTime
from casework.errors import AuthenticationFailed, CaseworkError
from casework.models import User
from casework.runtime import Casework
from casework.users import authenticate

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class SignInFailure(SQLModel, table=True):
    """One failed sign-in; rows older than the window are pruned when the username fails again."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_username_at", "username", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)


class TooManyAttempts(CaseworkError):
    """Too many failed sign-ins for one username; `details["retry_after"]` is in seconds."""

    http_status = 429
    exit_code = 5
    title = "Too many failed sign-ins"


def _key(username: str) -> str:
    return (username or "").strip().lower()[:64]


def retry_after(cw: Casework, username: str) -> timedelta | None:
    """How long this username must wait before trying again, or None when it may try now."""
    now = cw.now()
    with cw.reader() as uow:
        times = list(uow.session.execute(
            select(SignInFailure.at).where(SignInFailure.username == _key(username),
                                           SignInFailure.at > now - WINDOW)
            .order_by(SignInFailure.at)).scalars())
    if len(times) < MAX_FAILURES:
        return None
    return times[-MAX_FAILURES] + WINDOW - now


def sign_in(cw: Casework, username: str, password: str) -> User:
    """Check the password unless the username is locked out; count failures, clear them on success."""
    wait = retry_after(cw, username)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise TooManyAttempts(f"too many failed sign-ins for this username; try again in {minutes} "
                              f"minute{'s' if minutes != 1 else ''}",
                              details={"retry_after": math.ceil(wait.total_seconds())})
    key, now = _key(username), cw.now()
    try:
        user = authenticate(cw, username, password)
    except AuthenticationFailed:
        with cw.uow() as uow:
            uow.session.execute(delete(SignInFailure).where(SignInFailure.username == key,
                                                            SignInFailure.at <= now - WINDOW))
            uow.session.add(SignInFailure(username=key, at=now))
            uow.session.commit()
        raise
    with cw.uow() as uow:
        uow.session.execute(delete(SignInFailure).where(SignInFailure.username == key))
        uow.session.commit()
    return user
