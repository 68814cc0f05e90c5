"""Who can hear of a change: active staff by force, their preferences, the forces' webhook endpoints.

These change rarely and are needed on nearly every action, so each process keeps one snapshot and
reads only `recipients_version` per action; database triggers (migrations 0016 and 0022) give it a new
random stamp in the same transaction as any change to users, preferences or endpoints, so every process
sees the change at its next action, and a restored database never repeats a stamp a process holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select
from sqlalchemy.engine import Connection

from casework.notify.tables import NotificationPreference, WebhookEndpoint
from casework.storage.driver import Driver
from casework.storage.tables import User, table_of
from casework.storage.uow import UnitOfWork

_users, _prefs, _endpoints = table_of(User), table_of(NotificationPreference), table_of(WebhookEndpoint)
_VERSION = "SELECT version FROM recipients_version WHERE id = 1"
_STAFF = select(_users.c.id, _users.c.roles, _users.c.forces, _users.c.email).where(_users.c.active.is_(True))
_PREFERENCES = select(
    _prefs.c.user_id, _prefs.c.kind, _prefs.c.email, _prefs.c.inbox, _prefs.c.quiet_start, _prefs.c.quiet_end
)
_ENDPOINTS = select(_endpoints.c.id, _endpoints.c.force, _endpoints.c.team).where(_endpoints.c.active.is_(True))


@dataclass(frozen=True)
class Person:
    id: int
    roles: frozenset[str]
    email: str | None


@dataclass(frozen=True)
class Choice:
    """A stored preference (absent means e-mail and inbox, no quiet hours)."""

    email: bool
    inbox: bool
    quiet_start: time | None
    quiet_end: time | None


@dataclass(frozen=True)
class Endpoint:
    id: int
    team: str


@dataclass(frozen=True)
class Recipients:
    """One consistent snapshot, as of `version`."""

    version: str | None
    staff: dict[str, list[Person]] = field(default_factory=dict)  # by force, in id order
    choices: dict[tuple[int, str], Choice] = field(default_factory=dict)  # (user id, kind)
    endpoints: dict[str, list[Endpoint]] = field(default_factory=dict)  # by force, in id order


def load(connection: Connection, version: str | None) -> Recipients:
    """Read the snapshot; the version was read first, so the rows are at least that new."""
    staff: dict[str, list[Person]] = defaultdict(list)
    for user_id, roles, forces, email in connection.execute(_STAFF.order_by(_users.c.id)):
        person = Person(user_id, frozenset(roles), email)
        for force in forces:
            staff[force].append(person)
    choices = {
        (user_id, kind): Choice(email, inbox, start, end)
        for user_id, kind, email, inbox, start, end in connection.execute(_PREFERENCES)
    }
    endpoints: dict[str, list[Endpoint]] = defaultdict(list)
    for endpoint_id, force, team in connection.execute(_ENDPOINTS.order_by(_endpoints.c.id)):
        endpoints[force].append(Endpoint(endpoint_id, team))
    return Recipients(version, dict(staff), choices, dict(endpoints))


class RecipientsCache:
    """The process's snapshot, replaced whole (one assignment, safe across threads) when the version moves."""

    def __init__(self) -> None:
        self._current: Recipients | None = None  # the first action loads

    def current(self, uow: UnitOfWork) -> Recipients:
        """The snapshot as of this transaction: the version is read once per transaction (a sweep's batch
        announces hundreds of marks in one)."""
        return uow.kept(self, lambda: self._as_of(uow.driver))

    def _as_of(self, driver: Driver) -> Recipients:
        found = driver.execute(_VERSION).fetchone()
        version = found[0] if found else None
        snapshot = self._current
        if snapshot is None or snapshot.version != version:
            snapshot = self._current = load(driver.connection, version)
        return snapshot
