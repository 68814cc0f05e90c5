"""The outbox: who must hear of a case change, written as notification rows in the change's own transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import col
from uuid6 import uuid7

from casework.clock import LONDON, london
from casework.labels import CHOICES
from casework.notify.recipients import Choice, Recipients, RecipientsCache
from casework.notify.tables import NotificationPreference
from casework.storage.driver import insert_sql
from casework.storage.tables import Case, CaseEvent, User

if TYPE_CHECKING:
    from casework.events import CaseChanged
    from casework.runtime import Casework
    from casework.storage.uow import UnitOfWork

ACTOR = "system:notifications"
KINDS = (
    "referral",
    "threat_to_life",
    "advice_given",
    "information_requested",
    "sla_warning",
    "sla_breach",
    "reopened",
    "closed",
    "mentioned",
)
MENTION = re.compile(r"(?<![\w.@])@([a-z0-9][a-z0-9._-]{0,62}[a-z0-9])", re.IGNORECASE)  # linear: no nesting
ALWAYS_DELIVERED = frozenset({"threat_to_life", "sla_breach"})  # preferences cannot switch these off
QUIET_HOURS_APPLY = frozenset({"sla_warning"})


@dataclass(frozen=True)
class Audience:
    """Who hears of one kind of news: whole teams of the case's force and named people."""

    kind: str
    teams: tuple[str, ...] = ()
    people: tuple[int | None, ...] = ()


class Outbox:
    """The outbox handler, with this process's snapshot of who can hear (see `recipients`)."""

    def __init__(self) -> None:
        self.recipients = RecipientsCache()

    def on_case_changed(self, uow: UnitOfWork, change: CaseChanged, cw: Casework) -> None:
        """Write the outbox rows for a change; they commit or roll back with the change itself."""
        audiences = audiences_for(uow, change, cw)
        if not audiences:
            return
        driver = uow.driver
        rows = _rows(change, cw, audiences, self.recipients.current(uow))
        if rows:  # one statement at commit for the rows of all the transaction's changes
            gathered: list[Any] = uow.gathered(_INSERT, list, lambda values: driver.executemany(_INSERT, values))
            gathered.extend(driver.values(row[name] for name in _COLUMNS) for row in rows)


def audiences_for(uow: UnitOfWork, change: CaseChanged, cw: Casework) -> list[Audience]:
    """SPEC §5: the people and teams each kind of change concerns, most urgent news first."""
    case = change.case
    if change.kind in ("sla_warning", "sla_breach"):  # for the stage the clock measured, not where the case is now
        stage = change.inputs.get("stage") or case.state
        assignee = change.inputs.get("assignee_id", case.assignee_id)
        if change.kind == "sla_breach":
            return [Audience("sla_breach", teams=(*_owner(cw, stage), "supervisor"))]
        if assignee:
            return [Audience("sla_warning", people=(assignee,))]
        return [Audience("sla_warning", teams=_owner(cw, stage))]
    if change.kind == "commented":
        return [Audience("mentioned", people=_mentioned(uow, change.inputs.get("text", "")))]
    if change.kind != "transitioned":
        return []
    trigger = change.trigger
    if trigger == "refer" and change.inputs.get("threat_to_life") is True:
        return [
            Audience("threat_to_life", teams=("crime_bureau", "supervisor")),
            Audience("referral", teams=("comms",)),
        ]
    if trigger == "refer":
        return [Audience("referral", teams=("crime_bureau", "comms"))]
    if trigger == "give_advice":
        return [Audience("advice_given", teams=("comms",))]
    if trigger == "request_information":
        return [Audience("information_requested", people=(case.referred_by_id,))]
    if trigger == "reopen":
        closer = _last_actor(uow, case, to_state="closed")
        return [Audience("reopened", teams=_stage_team(cw, case), people=(closer,))]
    if trigger == "close":
        sender = case.referred_by_id or _last_actor(uow, case, to_state="comms_action", from_state="admin_review")
        return [Audience("closed", people=(sender,))]
    return []


def _mentioned(uow: UnitOfWork, text: str) -> tuple[int | None, ...]:
    """The users named as @username in a note; `_queue` keeps those of the case's force."""
    names = {m.lower() for m in MENTION.findall(text)}
    if not names:
        return ()
    with uow.session.no_autoflush:
        found = uow.session.execute(select(col(User.id)).where(func.lower(col(User.username)).in_(names)))
        return tuple(found.scalars())


def _stage_team(cw: Casework, case: Case) -> tuple[str, ...]:
    return _owner(cw, case.state)


def _owner(cw: Casework, state: str) -> tuple[str, ...]:
    owner = cw.workflow.state(state).owner_role
    return (owner,) if owner else ()


def _last_actor(uow: UnitOfWork, case: Case, *, to_state: str, from_state: str | None = None) -> int | None:
    """The user who last moved the case into `to_state` (from the hash-chained history)."""
    query = (
        select(col(User.id))
        .join(CaseEvent, col(CaseEvent.actor) == User.username)
        .where(
            col(CaseEvent.case_id) == case.id,
            col(CaseEvent.action) == "transition",
            col(CaseEvent.to_state) == to_state,
        )
    )
    if from_state:
        query = query.where(col(CaseEvent.from_state) == from_state)
    with uow.session.no_autoflush:
        return uow.session.execute(query.order_by(col(CaseEvent.seq).desc()).limit(1)).scalar_one_or_none()


_COLUMNS = (
    "delivery_id",
    "kind",
    "case_id",
    "channel",
    "recipient_id",
    "endpoint_id",
    "subject",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
    "read_at",
)
_INSERT = insert_sql("notifications", _COLUMNS)


def _rows(change: CaseChanged, cw: Casework, audiences: list[Audience], known: Recipients) -> list[dict[str, Any]]:
    """One row per recipient and channel (a person hears once per change, of the most urgent news)."""
    case, now = change.case, cw.now()  # an SLA catch-up announces changes from the past
    staff = known.staff.get(case.force, [])
    by_id = {u.id: u for u in staff}
    seen_users, seen_endpoints = {change.actor.id}, set()
    wanted = []  # (audience, person) in order of urgency
    for audience in audiences:
        members = [u for u in staff if u.roles.intersection(audience.teams)]
        members += [by_id[i] for i in audience.people if i in by_id]
        for user in members:
            if user.id not in seen_users:
                seen_users.add(user.id)
                wanted.append((audience, user))
    rows, payloads = [], {}
    for audience in audiences:
        payload = payloads[audience.kind] = _payload(change, cw, audience.kind)
        for endpoint in known.endpoints.get(case.force, []):
            if endpoint.team in audience.teams and endpoint.id not in seen_endpoints:
                seen_endpoints.add(endpoint.id)
                rows.append(_row(audience.kind, case, "webhook", payload, now, endpoint_id=endpoint.id))
    for audience, user in wanted:
        payload, pref = payloads[audience.kind], known.choices.get((user.id, audience.kind))
        always = audience.kind in ALWAYS_DELIVERED
        if always or pref is None or pref.inbox:
            rows.append(_row(audience.kind, case, "inbox", payload, now, recipient_id=user.id))
        if user.email and (always or pref is None or pref.email):
            due = quiet_until(now, pref) if pref and audience.kind in QUIET_HOURS_APPLY else None
            rows.append(_row(audience.kind, case, "email", payload, now, due=due, recipient_id=user.id))
    return rows


def _row(
    kind: str,
    case: Case,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    due: datetime | None = None,
    recipient_id: int | None = None,
    endpoint_id: int | None = None,
) -> dict[str, Any]:
    return {
        "delivery_id": uuid7().hex,  # time-ordered: each new row goes on at the end of its unique index
        "kind": kind,
        "case_id": case.id,
        "channel": channel,
        "recipient_id": recipient_id,
        "endpoint_id": endpoint_id,
        "subject": subject_for(kind, payload)[:300],
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due or now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
        "read_at": None,
    }


def _payload(change: CaseChanged, cw: Casework, kind: str) -> dict[str, Any]:
    """Facts about the change, enough to render it later; the comment itself is read at send time."""
    case, inputs = change.case, change.inputs or {}
    payload = {
        "kind": kind,
        "reference": case.reference,
        "force": case.force,
        "force_name": cw.settings.force(case.force).name,
        "state": case.state,
        "state_label": cw.workflow.state(case.state).label,
        "trigger": change.trigger,
        "actor": change.actor.username,
        "actor_name": change.actor.display_name or change.actor.username,
        "at": change.at.astimezone(UTC).isoformat(),
        "threat_to_life": bool(case.threat_to_life),
    }
    if "clock" in inputs:
        labels = {c.name: c.label for c in cw.workflow.clocks}
        payload.update(
            clock=inputs["clock"],
            clock_label=labels.get(inputs["clock"], inputs["clock"]),
            due_at=str(inputs.get("due_at", "")),
        )
    if change.trigger == "give_advice":
        payload["outcome"] = inputs.get("outcome")
    if kind == "mentioned":
        payload["note"] = str(inputs.get("text", ""))[:2000]
    return payload


def subject_for(kind: str, p: dict[str, Any]) -> str:
    """A subject line with the reference and the news, never the comment."""
    ref = p["reference"]
    return {
        "referral": f"{ref}: referred to the Crime Bureau",
        "threat_to_life": f"URGENT {ref}: threat to life, Crime Bureau advice needed within the hour",
        "advice_given": f"{ref}: Crime Bureau advice given ({CHOICES.get(p.get('outcome') or '', p.get('outcome'))})",
        "information_requested": f"{ref}: the Crime Bureau asks for information",
        "sla_warning": f"{ref}: {p.get('clock_label')} is due soon",
        "sla_breach": f"BREACH {ref}: {p.get('clock_label')} target missed",
        "reopened": f"{ref}: reopened by a supervisor",
        "closed": f"{ref}: closed by Corporate Communications",
        "mentioned": f"{ref}: {p.get('actor_name')} mentioned you in a note",
    }[kind]


def quiet_until(now: datetime, pref: NotificationPreference | Choice) -> datetime | None:
    """The end of the recipient's quiet hours if `now` falls inside them (Europe/London), else None."""
    start, end = pref.quiet_start, pref.quiet_end
    if start is None or end is None or start == end:
        return None
    local = london(now)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if start > end and t >= start else local.date()
    return datetime.combine(day, end, tzinfo=LONDON).astimezone(UTC)
