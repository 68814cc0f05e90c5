"""Notification services for people: the inbox, dead letters and retries, preferences, webhook endpoints."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import time
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from casework.actors import Actor
from casework.errors import NotFound, PermissionDenied, ValidationError
from casework.models import Case
from casework.notify_models import Notification, NotificationPreference, WebhookEndpoint
from casework.outbox import ACTOR, ALWAYS_DELIVERED, KINDS, QUIET_HOURS_APPLY
from casework.runtime import Casework
from casework.users import find_user
from workflows.a017 import ROLES

TEAMS = tuple(r for r in ROLES if r not in {"system", "auditor"})
UNDELIVERED = ("failed", "dead")


def inbox(cw: Casework, actor: Actor, limit: int = 100) -> list[Notification]:
    """The actor's own delivered in-app notifications, newest first; nobody sees another's."""
    with cw.reader() as uow:
        return list(uow.session.execute(
            select(Notification).where(Notification.recipient_id == actor.id, Notification.channel == "inbox",
                                       Notification.status == "sent")
            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).scalars())


def unread_count(cw: Casework, actor: Actor) -> int:
    with cw.reader() as uow:
        return uow.session.execute(select(func.count()).select_from(Notification).where(
            Notification.recipient_id == actor.id, Notification.channel == "inbox", Notification.status == "sent",
            Notification.read_at.is_(None))).scalar_one()


def mark_read(cw: Casework, actor: Actor, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread inbox notification of the actor as read."""
    where = [Notification.recipient_id == actor.id, Notification.channel == "inbox", Notification.read_at.is_(None)]
    if notification_id is not None:
        where.append(Notification.id == notification_id)
    with cw.uow() as uow:
        count = uow.session.execute(update(Notification).where(*where).values(read_at=cw.now())).rowcount
        uow.commit()
    if notification_id is not None and count == 0 and not _owns(cw, actor, notification_id):
        raise NotFound(f"no notification {notification_id} in your inbox")
    return count


def _owns(cw: Casework, actor: Actor, notification_id: int) -> bool:
    with cw.reader() as uow:
        row = uow.session.get(Notification, notification_id)
        return row is not None and row.recipient_id == actor.id and row.channel == "inbox"


def outbox_rows(cw: Casework, *, undelivered: bool = False, forces=None, limit: int = 200) -> list[Notification]:
    """Outgoing notifications newest first; `undelivered` keeps only failed and dead letters."""
    query = select(Notification).where(Notification.channel != "inbox")
    if undelivered:
        query = query.where(Notification.status.in_(UNDELIVERED))
    if forces is not None:
        query = query.join(Case, Case.id == Notification.case_id).where(Case.force.in_(sorted(forces)))
    with cw.reader() as uow:
        return list(uow.session.execute(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).scalars())


def dead_letters(cw: Casework, actor: Actor) -> list[Notification]:
    """Failed and dead notifications of the supervisor's forces."""
    _supervisor(actor)
    return outbox_rows(cw, undelivered=True, forces=actor.forces)


def retry_as(cw: Casework, actor: Actor, notification_id: int) -> Notification:
    """A supervisor sends a failed notification of one of their forces again."""
    _supervisor(actor)
    return retry(cw, notification_id, by=actor.username, forces=actor.forces)


def _supervisor(actor: Actor) -> None:
    if "supervisor" not in actor.roles:
        raise PermissionDenied("only supervisors see and retry failed notifications")


def retry(cw: Casework, notification_id: int, *, by: str, forces=None) -> Notification:
    """Send a failed or dead notification again, with a fresh count of attempts and the same delivery id."""
    with cw.uow() as uow:
        row = uow.session.get(Notification, notification_id, with_for_update=True)
        case = uow.session.get(Case, row.case_id) if row else None
        if row is None or (forces is not None and case.force not in forces):
            raise NotFound(f"no notification {notification_id}")
        if row.status not in UNDELIVERED:
            raise ValidationError({"id": f"notification {notification_id} is {row.status}; only failed or dead ones are retried"})
        before, now = row.status, cw.now()
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        uow.record("notification_retried", at=now, actor=by, role="system" if by.startswith("system:") else "supervisor",
                   case=row.case_id, from_state=case.state, to_state=case.state,
                   data={"notification": row.id, "delivery_id": row.delivery_id, "was": before})
        uow.commit()
        return row


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
        stored = {p.kind: p for p in uow.session.execute(
            select(NotificationPreference).where(NotificationPreference.user_id == actor.id)).scalars()}
    return [Preference(kind) if kind not in stored or kind in ALWAYS_DELIVERED else
            Preference(kind, stored[kind].email, stored[kind].inbox, stored[kind].quiet_start, stored[kind].quiet_end)
            for kind in KINDS]


def save_preferences(cw: Casework, actor: Actor, choices: dict[str, dict]) -> list[Preference]:
    """Store the actor's own choices, {kind: {email, inbox, quiet_start, quiet_end}}; errors name `kind-field`.

    Breaches and threat-to-life escalations are not switchable and are left out; quiet hours
    ("HH:MM", Europe/London, both or neither) count for warnings only.
    """
    wanted, errors = [], {}
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
                _store(uow, cw, actor.id, actor.username, pref, by=actor.username, role=sorted(actor.roles)[0])
        uow.commit()
    return preferences(cw, actor)


def _quiet_hours(kind: str, choice: dict, errors: dict) -> tuple[time | None, time | None]:
    """Both times or neither, and not the same (that would be no quiet at all, or all day)."""
    start, end = (_clock_time(choice.get(f), f"{kind}-{f}", errors) for f in ("quiet_start", "quiet_end"))
    if f"{kind}-quiet_start" in errors or f"{kind}-quiet_end" in errors:
        return None, None
    if (start is None) != (end is None):
        errors[f"{kind}-quiet_{'end' if end is None else 'start'}"] = "give both the start and the end, or neither"
    elif start is not None and start == end:
        errors[f"{kind}-quiet_end"] = "the end must differ from the start"
    return start, end


def _clock_time(value, field: str, errors: dict) -> time | None:
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


def set_preference(cw: Casework, username: str, kind: str, *, email: bool = True, inbox: bool = True,
                   quiet: str | None = None) -> NotificationPreference:
    """Choose channels (and quiet hours for warnings) for one kind; breaches ignore the choice."""
    if kind not in KINDS:
        raise ValidationError({"kind": f"choose from {', '.join(KINDS)}"})
    start, end = parse_quiet_hours(quiet) if quiet else (None, None)
    with cw.uow() as uow:
        user = find_user(uow.session, username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        pref = _store(uow, cw, user.id, user.username, Preference(kind, email, inbox, start, end), by=ACTOR,
                      role="system")
        uow.commit()
        return pref


def _store(uow, cw: Casework, user_id: int, username: str, choice: Preference, *, by: str,
           role: str) -> NotificationPreference:
    """Write one preference row and its audit event (who chose what, no personal data beyond the username)."""
    pref = uow.session.get(NotificationPreference, (user_id, choice.kind)) or NotificationPreference(
        user_id=user_id, kind=choice.kind)
    pref.email, pref.inbox, pref.quiet_start, pref.quiet_end = (choice.email, choice.inbox, choice.quiet_start,
                                                                choice.quiet_end)
    uow.session.add(pref)
    quiet = f"{choice.quiet_start:%H:%M}-{choice.quiet_end:%H:%M}" if choice.quiet_start else None
    uow.record("notification_preference", at=cw.now(), actor=by, role=role,
               data={"user": username, "kind": choice.kind, "email": choice.email, "inbox": choice.inbox,
                     "quiet": quiet})
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


def add_webhook(cw: Casework, force: str, team: str, url: str, secret: str | None = None) -> WebhookEndpoint:
    """Register a team's endpoint; the secret signs every body (generated when not given)."""
    errors = {}
    if force not in cw.settings.forces:
        errors["force"] = f"choose from {', '.join(cw.settings.forces)}"
    if team not in TEAMS:
        errors["team"] = f"choose from {', '.join(TEAMS)}"
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 2048:
        errors["url"] = "an http(s) URL with a host"
    secret = secret or secrets.token_urlsafe(32)
    if not 16 <= len(secret) <= 200:
        errors["secret"] = "16-200 characters"
    if errors:
        raise ValidationError(errors)
    with cw.uow() as uow:
        endpoint = WebhookEndpoint(force=force, team=team, url=url, secret=secret, created_at=cw.now())
        uow.session.add(endpoint)
        uow.session.flush()
        uow.record("webhook_added", at=cw.now(), actor="system:cli", role="system",
                   data={"endpoint": endpoint.id, "force": force, "team": team, "host": parts.hostname})
        uow.commit()
        return endpoint


def list_webhooks(cw: Casework) -> list[WebhookEndpoint]:
    with cw.reader() as uow:
        return list(uow.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def set_webhook_active(cw: Casework, endpoint_id: int, active: bool, *, by: str = "system:cli") -> bool:
    """Switch an endpoint on or off (off: no new rows, queued ones become dead letters); False if unchanged."""
    with cw.uow() as uow:
        endpoint = uow.session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if endpoint is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        if endpoint.active == active:
            return False
        endpoint.active = active
        uow.record("webhook_enabled" if active else "webhook_disabled", at=cw.now(), actor=by, role="system",
                   data={"endpoint": endpoint.id, "force": endpoint.force, "team": endpoint.team,
                         "host": urlsplit(endpoint.url).hostname})
        uow.commit()
        return True
