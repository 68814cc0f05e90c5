"""Intake: validate a flagged comment, fix its evidence digest, and open a case or re-flag one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from casework.access.actors import Actor
from casework.cases import rows as case_rows
from casework.cases.references import next_reference
from casework.cases.refusals import record_refusal
from casework.clock import LONDON, UTC
from casework.errors import CaseworkError, PermissionDenied, ValidationError
from casework.events import CaseChanged
from casework.intake import handles
from casework.runtime import Casework
from casework.storage import chain
from casework.storage.driver import insert_sql
from workflows.a017 import PLATFORMS

MAX_TEXT = 20_000  # above every platform's own comment limit
MAX_FUTURE_SKEW = timedelta(minutes=5)
FLAGGING_ROLES = frozenset({"channel_admin", "system"})


@dataclass(frozen=True)
class FlagInput:
    force: str
    platform: str
    channel: str
    external_id: str
    permalink: str
    text: str
    reason: str
    author_handle: str | None = None
    author_name: str | None = None
    author_id: str | None = None
    posted_at: datetime | None = None
    detected_by: str | None = None

    def captured(self) -> dict[str, Any]:
        """The comment as captured, in the form its evidence digest is computed over."""
        return {
            "platform": self.platform,
            "channel": self.channel,
            "external_id": self.external_id,
            "permalink": self.permalink,
            "text": self.text,
            "author_handle": self.author_handle,
            "author_name": self.author_name,
            "author_id": self.author_id,
            "posted_at": self.posted_at.astimezone(UTC).isoformat() if self.posted_at else None,
        }

    @property
    def author_key(self) -> str | None:
        return handles.author_key(self.platform, self.author_id or self.author_handle)


@dataclass(frozen=True)
class FlagResult:
    """`case` is the case row as stored (read-only; attributes named as Case's columns)."""

    case: Any
    created: bool


FLAG_FIELDS = (  # what a flag may carry, in the order the form asks for it
    "force",
    "platform",
    "channel",
    "external_id",
    "permalink",
    "text",
    "reason",
    "author_handle",
    "author_name",
    "author_id",
    "posted_at",
)


def parse_flag(payload: object, cw: Casework) -> FlagInput:
    """Check every field of a flag; collect all problems into one ValidationError."""
    if not isinstance(payload, dict):
        raise ValidationError({"body": "expected an object with the comment's fields"})
    errors: dict[str, str] = {}
    for name in sorted(set(payload) - set(FLAG_FIELDS)):
        errors[name] = "unknown field"

    def text(name: str, limit: int, required: bool = True) -> str | None:
        value = payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                errors[name] = "required"
            return None
        if not isinstance(value, str):
            errors[name] = "must be text"
            return None
        problem = _text_problem(value, limit)
        if problem:
            errors[name] = problem
            return None
        return value if name == "text" else value.strip()

    force = text("force", 40)
    if force and force not in cw.settings.forces:
        errors["force"] = f"unknown force {force!r}; known: {', '.join(cw.settings.forces)}"
    platform = text("platform", 20)
    if platform and platform not in PLATFORMS:
        errors["platform"] = f"must be one of: {', '.join(PLATFORMS)}"
    external_id = text("external_id", 200)
    if external_id and any(c.isspace() for c in external_id):
        errors["external_id"] = "must not contain spaces"
    permalink = text("permalink", 2048)
    if permalink and not _is_web_url(permalink):
        errors["permalink"] = "must be an http(s) URL with a host"
    posted_at = _parse_time(payload.get("posted_at"), errors, cw.now())
    flag: dict[str, Any] = {
        "force": force,
        "platform": platform,
        "channel": text("channel", 200),
        "external_id": external_id,
        "permalink": permalink,
        "text": text("text", MAX_TEXT),
        "reason": text("reason", 2000),
        "author_handle": text("author_handle", 200, False),
        "author_name": text("author_name", 200, False),
        "author_id": text("author_id", 200, False),
        "posted_at": posted_at,
    }
    if errors:
        raise ValidationError(errors)
    return FlagInput(**flag)


def _text_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"longer than {limit} characters ({len(value)})"
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text"
    return None


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in value)


def _parse_time(value: Any, errors: dict[str, str], now: datetime) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            errors["posted_at"] = "must be an ISO 8601 time, e.g. 2026-11-25T10:58:10Z"
            return None
    if not isinstance(value, datetime):
        errors["posted_at"] = "must be an ISO 8601 time"
        return None
    if value.tzinfo is None:
        errors["posted_at"] = "needs a time zone offset (e.g. Z or +00:00)"
        return None
    if value - now > MAX_FUTURE_SKEW:
        errors["posted_at"] = "is in the future"
        return None
    return value.astimezone(UTC)


def flag_comment(
    cw: Casework, actor: Actor, payload: object, detected_by: str | None = None, *, reflag: bool = True
) -> FlagResult:
    """Open a case for a flagged comment, or record the re-flag on the case that has it.

    Who detected it is the signed-in actor, never a field of the payload; only in-process callers
    (the detector's intake) name a rule instead. `reflag=False` (bulk import) leaves an existing case
    untouched: a re-run or a second import of the same file is not a new report of the comment.
    """
    try:
        flag = replace(parse_flag(payload, cw), detected_by=detected_by)
        if not actor.role_for(FLAGGING_ROLES):
            raise PermissionDenied("flagging a comment needs the role channel_admin")
        if not actor.in_force(flag.force):
            raise PermissionDenied(f"you do not act for the force {flag.force}")
        try:
            return _open_or_reflag(cw, actor, flag, reflag)
        except IntegrityError:  # a concurrent intake of the same comment won: this one is a re-flag
            return _open_or_reflag(cw, actor, flag, reflag)
    except CaseworkError as exc:
        record_refusal(
            cw,
            actor,
            "flag",
            exc,
            detail={"external_id": str(payload.get("external_id"))[:200]} if isinstance(payload, dict) else {},
        )
        raise


_COMMENT_COLUMNS = ("case_id", "author_id", "author_handle", "author_name", "text", "captured", "digest")
_INSERT_COMMENT = insert_sql("comments", _COMMENT_COLUMNS)


def _open_or_reflag(cw: Casework, actor: Actor, flag: FlagInput, reflag: bool) -> FlagResult:
    # Intake is the hottest write path, so its statements go to the driver rather than through the ORM.
    now = cw.now()
    role = actor.role_for(FLAGGING_ROLES)
    with cw.uow() as uow:
        driver = uow.driver
        key = {"force": flag.force, "platform": flag.platform, "external_id": flag.external_id}
        existing = case_rows.find(driver, flag.force, flag.platform, flag.external_id)
        if existing is not None and not reflag:
            return FlagResult(existing, created=False)
        if existing is not None:
            uow.record(
                "reflagged",
                at=now,
                actor=actor.username,
                role=role,
                case=existing,
                from_state=existing.state,
                to_state=existing.state,
                data={"reason": flag.reason, "detected_by": flag.detected_by or actor.username},
            )
            cw.publish(uow, CaseChanged("reflagged", existing, actor, now))
            uow.commit()
            return FlagResult(existing, created=False)
        captured = flag.captured()
        evidence = chain.digest(captured)
        force = cw.settings.force(flag.force)
        case = case_rows.insert(
            driver,
            {
                **key,
                "reference": next_reference(driver, force.code, force.prefix, now.astimezone(LONDON).year),
                "channel": flag.channel,
                "permalink": flag.permalink,
                "author_key": flag.author_key,
                "posted_at": flag.posted_at,
                "detected_at": now,
                "detected_by": flag.detected_by or actor.username,
                "flag_reason": flag.reason,
                "evidence_digest": evidence,
                "state": cw.workflow.initial,
                "version": 1,
                "threat_to_life": False,
                "stage_inputs": {},
                "updated_at": now,
            },
        )
        comment = (case.id, flag.author_id, flag.author_handle, flag.author_name, flag.text, captured, evidence)
        driver.execute(_INSERT_COMMENT, driver.values(comment))
        uow.record(
            "flagged",
            at=now,
            actor=actor.username,
            role=role,
            case=case,
            to_state=case.state,
            data={
                "reference": case.reference,
                "force": case.force,
                "platform": case.platform,
                "external_id": case.external_id,
                "evidence_digest": evidence,
                "detected_by": case.detected_by,
                "reason": flag.reason,
            },
        )
        cw.publish(uow, CaseChanged("flagged", case, actor, now))
        uow.commit()
        return FlagResult(case, created=True)
