"""Sessions held on the server: the browser keeps only a random token, the row keeps the rest.

A session ends at sign-out, after `session_idle` without a request, after `session_max` from sign-in,
and at once for every session of a user who is deactivated or whose roles, forces or password change
(`end_sessions`). Only the token's SHA-256 is stored, so a copy of the table opens nothing. Sign-in,
sign-out and every ended session of a user are audit events; anonymous sessions (a sign-in form's CSRF
token, a flash message) are dropped silently. Times come from the injected clock.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, Text, delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Field, SQLModel, col

from casework.runtime import Casework
from casework.storage.db import UTCDateTime
from casework.storage.tables import User
from casework.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_TOKEN = 100
# Writing last_seen_at on every request would serialise readers on SQLite; a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)
ACTOR = "system:sessions"
SWEEP_BATCH = 1000


class UserSession(SQLModel, table=True):
    """One browser's session; `user_id` is set from sign-in to its end, `data` is the web layer's, opaque here."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_last_seen_at", "last_seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    data: str = Field(default="", sa_type=Text)
    address: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)


@dataclass(frozen=True)
class LiveSession:
    token: str
    id: int
    user_id: int | None
    data: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _why_over(cw: Casework, row: UserSession, now: datetime) -> str | None:
    """'idle' or 'expired' when the session has run out, else None."""
    if now - row.created_at >= cw.settings.session_max:
        return "expired"
    if now - row.last_seen_at >= cw.settings.session_idle:
        return "idle"
    return None


def resume(cw: Casework, token: str | None) -> LiveSession | None:
    """The live session for a browser's token; one that has run out is ended here and gives None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    now = cw.now()
    with cw.reader() as uow:
        row = uow.session.execute(
            select(UserSession).where(col(UserSession.token_hash) == _hash(token))
        ).scalar_one_or_none()
    if row is None:
        return None
    assert row.id is not None  # loaded from the database
    if reason := _why_over(cw, row, now):
        with cw.uow() as uow:
            _end(uow, [row.id], reason, now, ACTOR)
            uow.commit()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        try:
            with cw.uow() as uow:
                uow.session.execute(update(UserSession).where(col(UserSession.id) == row.id).values(last_seen_at=now))
                uow.commit()
        except OperationalError:  # locked or read-only: reads go on; a later request records the activity
            log.info("session activity not recorded: the database refuses writes just now")
    return LiveSession(token, row.id, row.user_id, row.data)


def open_anonymous(cw: Casework, data: str) -> str:
    """A session for a visitor not signed in (a form's CSRF token, a message); returns its new token."""
    token, now = secrets.token_urlsafe(32), cw.now()
    with cw.uow() as uow:
        uow.session.add(UserSession(token_hash=_hash(token), data=data, created_at=now, last_seen_at=now))
        uow.commit()
    return token


def save_data(cw: Casework, token: str, data: str) -> bool:
    """Store the web layer's data; False when the session ended meanwhile (it is not brought back)."""
    with cw.uow() as uow:
        done = uow.session.execute(
            update(UserSession).where(col(UserSession.token_hash) == _hash(token)).values(data=data)
        )
        uow.commit()
    return bool(getattr(done, "rowcount", 0))


def start(cw: Casework, user: User, *, replaces: str | None = None, address: str | None = None) -> LiveSession:
    """A new session (a new token: the id rotates at sign-in) for a user who just proved who they are."""
    assert user.id is not None  # a stored user
    token, now = secrets.token_urlsafe(32), cw.now()
    with cw.uow() as uow:
        if replaces:
            _end_token(uow, replaces, "replaced", now, ACTOR)
        row = UserSession(
            token_hash=_hash(token),
            user_id=user.id,
            address=(address or "")[:64] or None,
            created_at=now,
            last_seen_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        assert row.id is not None  # flushed above
        uow.record(
            "signed_in",
            at=now,
            actor=user.username,
            role=",".join(sorted(user.roles))[:40] or None,
            data={"username": user.username, "session": row.id, "address": row.address},
        )
        uow.commit()
    return LiveSession(token, row.id, user.id, "")


def sign_out(cw: Casework, token: str) -> None:
    """End the browser's session at its user's request."""
    with cw.uow() as uow:
        _end_token(uow, token, "signed_out", cw.now(), None)
        uow.commit()


def end_sessions(uow: UnitOfWork, user_id: int, reason: str, at: datetime, actor: str = ACTOR) -> int:
    """End every session of a user at once, inside the caller's transaction; returns how many ended."""
    ids = uow.session.execute(select(col(UserSession.id)).where(col(UserSession.user_id) == user_id)).scalars()
    return _end(uow, [i for i in ids if i is not None], reason, at, actor)


def sweep(cw: Casework) -> int:
    """End sessions that ran out without another request (recorded), drop anonymous ones; returns how many."""
    now = cw.now()
    idle_before, started_before = now - cw.settings.session_idle, now - cw.settings.session_max
    over = or_(col(UserSession.last_seen_at) <= idle_before, col(UserSession.created_at) <= started_before)
    ended = 0
    while True:  # in batches: short transactions, so sign-ins are not held up behind a long sweep
        with cw.uow() as uow:
            rows = list(uow.session.execute(select(UserSession).where(over).limit(SWEEP_BATCH)).scalars())
            for reason in ("expired", "idle"):
                over_ids = [r.id for r in rows if r.id is not None and _why_over(cw, r, now) == reason]
                _end(uow, over_ids, reason, now, ACTOR)
            uow.commit()
        ended += len(rows)
        if len(rows) < SWEEP_BATCH:
            return ended


def _role_of(actor: str) -> str | None:
    return "system" if actor.startswith("system:") else None


def _end_token(uow: UnitOfWork, token: str, reason: str, at: datetime, actor: str | None) -> None:
    ids = uow.session.execute(select(col(UserSession.id)).where(col(UserSession.token_hash) == _hash(token)))
    _end(uow, [i for i in ids.scalars() if i is not None], reason, at, actor)


def _end(uow: UnitOfWork, ids: list[int], reason: str, at: datetime, actor: str | None) -> int:
    """Delete the sessions; each signed-in one becomes `signed_out` (by its user) or `session_ended`."""
    if not ids:
        return 0
    rows = uow.session.execute(
        select(col(UserSession.id), col(User.username), col(User.roles))
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(col(UserSession.id).in_(ids))
    ).all()
    # Only what this transaction deleted is recorded: two requests ending one session record it once.
    gone = delete(UserSession).where(col(UserSession.id).in_(ids)).returning(col(UserSession.id))
    deleted = set(uow.session.execute(gone).scalars())
    rows = [r for r in rows if r[0] in deleted]
    for session_id, username, roles in rows:
        action = "signed_out" if reason == "signed_out" else "session_ended"
        uow.record(
            action,
            at=at,
            actor=actor or username,
            role=(",".join(sorted(roles))[:40] or None) if actor is None else _role_of(actor),
            data={"username": username, "session": session_id, **({} if actor is None else {"reason": reason})},
        )
    return len(rows)
