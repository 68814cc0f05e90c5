"""Each user's own choice of e-mail and inbox per kind of notification, and quiet hours for warnings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from casework.access.actors import Actor
from casework.access.users import find_user
from casework.errors import NotFound, ValidationError
from casework.notify.outbox import ACTOR, ALWAYS_DELIVERED, KINDS, QUIET_HOURS_APPLY
from casework.notify.tables import NotificationPreference
from casework.runtime import Casework
from casework.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Preference:
    """One kind as a user has chosen it (defaults where they chose nothing); `always` kinds cannot be switched."""

    kind: str
    email: bool = True
    inbox: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None

    @property
    def always(self) -> bool:
        return self.kind in ALWAYS_DELIVERED

    @property
    def quiet_hours_apply(self) -> bool:
        return self.kind in QUIET_HOURS_APPLY


def preferences(cw: Casework, actor: Actor) -> list[Preference]:
    """The actor's own choice for every kind, in the order of KINDS."""
    with cw.reader() as uow:
        stored = {
            p.kind: p
            for p in uow.session.execute(
                select(NotificationPreference).where(col(NotificationPreference.user_id) == actor.id)
            ).scalars()
        }
    return [
        Preference(kind)
        if kind not in stored or kind in ALWAYS_DELIVERED
        else Preference(kind, stored[kind].email, stored[kind].inbox, stored[kind].quiet_start, stored[kind].quiet_end)
        for kind in KINDS
    ]


def save_preferences(cw: Casework, actor: Actor, choices: dict[str, dict[str, Any]]) -> list[Preference]:
    """Store the actor's own choices, {kind: {email, inbox, quiet_start, quiet_end}}; errors name `kind-field`.

    Breaches and threat-to-life escalations are not switchable and are left out; quiet hours
    ("HH:MM", Europe/London, both or neither) count for warnings only.
    """
    wanted: list[Preference] = []
    errors: dict[str, str] = {}
    for kind in KINDS:
        if kind in ALWAYS_DELIVERED:
            continue
        choice = choices.get(kind, {})
        start = end = None
        if kind in QUIET_HOURS_APPLY:
            start, end = _quiet_hours(kind, choice, errors)
        wanted.append(Preference(kind, bool(choice.get("email")), bool(choice.get("inbox")), start, end))
    if errors:
        raise ValidationError(errors)
    current = {p.kind: p for p in preferences(cw, actor)}
    with cw.uow() as uow:
        for pref in wanted:
            if pref != current[pref.kind]:
                assert actor.id is not None  # a person's own choices: system actors have no preferences
                _store(uow, cw, actor.id, actor.username, pref, by=actor.username, role=sorted(actor.roles)[0])
        uow.commit()
    return preferences(cw, actor)


def _quiet_hours(kind: str, choice: dict[str, Any], errors: dict[str, str]) -> tuple[time | None, time | None]:
    """Both times or neither, and not the same (that would be no quiet at all, or all day)."""
    start, end = (_clock_time(choice.get(f), f"{kind}-{f}", errors) for f in ("quiet_start", "quiet_end"))
    if f"{kind}-quiet_start" in errors or f"{kind}-quiet_end" in errors:
        return None, None
    if (start is None) != (end is None):
        errors[f"{kind}-quiet_{'end' if end is None else 'start'}"] = "give both the start and the end, or neither"
    elif start is not None and start == end:
        errors[f"{kind}-quiet_end"] = "the end must differ from the start"
    return start, end


def _clock_time(value: str | None, field: str, errors: dict[str, str]) -> time | None:
    """'HH:MM' from a time input (seconds allowed) -> time; blank -> None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value):
            raise ValueError
        return time.fromisoformat(value).replace(second=0)
    except ValueError:
        errors[field] = "a time as HH:MM (UK time), e.g. 22:00"
        return None


def set_preference(
    cw: Casework, username: str, kind: str, *, email: bool = True, inbox: bool = True, quiet: str | None = None
) -> NotificationPreference:
    """Choose channels (and quiet hours for warnings) for one kind; breaches ignore the choice."""
    if kind not in KINDS:
        raise ValidationError({"kind": f"choose from {', '.join(KINDS)}"})
    start, end = parse_quiet_hours(quiet) if quiet else (None, None)
    with cw.uow() as uow:
        user = find_user(uow.session, username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        assert user.id is not None  # a stored row has its id
        pref = _store(
            uow, cw, user.id, user.username, Preference(kind, email, inbox, start, end), by=ACTOR, role="system"
        )
        uow.commit()
        return pref


def _store(
    uow: UnitOfWork, cw: Casework, user_id: int, username: str, choice: Preference, *, by: str, role: str
) -> NotificationPreference:
    """Write one preference row and its audit event (who chose what, no personal data beyond the username)."""
    pref = uow.session.get(NotificationPreference, (user_id, choice.kind)) or NotificationPreference(
        user_id=user_id, kind=choice.kind
    )
    pref.email, pref.inbox, pref.quiet_start, pref.quiet_end = (
        choice.email,
        choice.inbox,
        choice.quiet_start,
        choice.quiet_end,
    )
    uow.session.add(pref)
    quiet = f"{choice.quiet_start:%H:%M}-{choice.quiet_end:%H:%M}" if choice.quiet_start else None
    uow.record(
        "notification_preference",
        at=cw.now(),
        actor=by,
        role=role,
        data={"user": username, "kind": choice.kind, "email": choice.email, "inbox": choice.inbox, "quiet": quiet},
    )
    return pref


_HHMM = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}$")


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """'22:00-07:00' (Europe/London) -> (22:00, 07:00)."""
    try:
        if not _HHMM.match(text.strip()):
            raise ValueError
        first, second = text.strip().split("-")
        return time.fromisoformat(first), time.fromisoformat(second)
    except ValueError:
        raise ValidationError({"quiet": "HH:MM-HH:MM in Europe/London time, e.g. 22:00-07:00"}) from None
