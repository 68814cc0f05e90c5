"""Platform intake: each comment goes through the detector; flagged ones become cases, others are only counted.

Edits and removals of a comment that is already a case are recorded on that case (the new text's
digest, never the text); the captured evidence does not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select, tuple_
from sqlmodel import Session, col

from casework.access.actors import Actor
from casework.errors import CaseworkError
from casework.intake import flags as intake
from casework.intake.channels import Channel, Channels
from casework.intake.detector import Detector
from casework.intake.platforms import CommentChange, IncomingComment, Item
from casework.runtime import Casework
from casework.storage.tables import Case, CaseEvent, Comment

CHANGE_ACTIONS = {
    "edited": "platform_edit",
    "removed": "platform_removed",
    "hidden": "platform_hidden",
    "unhidden": "platform_unhidden",
}


@dataclass
class Tally:
    """What happened to a batch; unflagged comments exist only as this count."""

    comments: int = 0
    flagged: int = 0
    already_cases: int = 0
    not_flagged: int = 0
    changes_recorded: int = 0
    changes_ignored: int = 0
    failed: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Routed:
    """An item with the channel (and so the force) it belongs to, and a tag to report failures by."""

    item: Item
    channel: Channel
    tag: Hashable = None


def route(items: Iterable[Item], channels: Channels, tag: Hashable = None) -> list[Routed]:
    """Attach each item's channel; an unknown channel refuses the whole payload before anything is stored."""
    return [Routed(item, channels.resolve(item.platform, item.account_id), tag) for item in items]


def text_digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() if text is not None else None


def flag_payload(routed: Routed, reason: str = "(detector)") -> dict[str, Any]:
    """The intake payload for a platform comment."""
    c = routed.item
    assert isinstance(c, IncomingComment)  # changes are never flagged
    payload = {
        "force": routed.channel.force,
        "platform": c.platform,
        "channel": routed.channel.name,
        "external_id": c.external_id,
        "permalink": c.permalink,
        "text": c.text,
        "reason": reason,
        "author_id": c.author_id,
        "author_handle": c.author_handle,
        "author_name": c.author_name,
        "posted_at": c.posted_at,
    }
    return {k: v for k, v in payload.items() if v is not None}


def check(cw: Casework, batch: list[Routed]) -> None:
    """Validate every comment as intake would, so a bad payload is refused before anything is stored."""
    for routed in batch:
        if isinstance(routed.item, IncomingComment):
            intake.parse_flag(flag_payload(routed), cw)


def ingest(
    cw: Casework, batch: list[Routed], detector: Detector, source: str, failures: list[tuple[Any, str]] | None = None
) -> Tally:
    """Run a batch through the detector and intake; failures (tag, message) go to `failures` if given."""
    tally = Tally()
    known = existing_cases(cw, {_key(r) for r in batch})
    changes: list[tuple[Routed, tuple[int, str]]] = []
    flagger = Actor.system("detector", cw.settings.forces)
    for routed in batch:
        item, key = routed.item, _key(routed)
        if isinstance(item, CommentChange) or key in known:
            if key in known:
                changes.append((routed, known[key]))
            else:
                tally.changes_ignored += 1
            tally.comments += isinstance(item, IncomingComment)
            continue
        tally.comments += 1
        match = detector.first(item.text)
        if match is None:
            tally.not_flagged += 1
            continue
        try:
            payload = flag_payload(routed, match.reason)
            result = intake.flag_comment(cw, flagger, payload, match.detected_by, reflag=source != "import")
        except CaseworkError as exc:
            tally.failed += 1
            if failures is None:
                raise
            failures.append((routed.tag, exc.message))
            continue
        known[key] = (result.case.id, result.case.state)
        tally.flagged += result.created
        tally.already_cases += not result.created
    _record_changes(cw, changes, source, tally)
    return tally


def _key(routed: Routed) -> tuple[str, str, str]:
    return routed.channel.force, routed.item.platform, routed.item.external_id


def existing_cases(cw: Casework, keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple[int, str]]:
    """(id, state) of the cases among these (force, platform, external id) keys, looked up in chunks."""
    found: dict[tuple[str, str, str], tuple[int, str]] = {}
    if not keys:
        return found
    ordered = sorted(keys)
    with cw.reader() as uow:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = uow.session.execute(
                select(col(Case.force), col(Case.platform), col(Case.external_id), col(Case.id), col(Case.state)).where(
                    tuple_(col(Case.force), col(Case.platform), col(Case.external_id)).in_(chunk)
                )
            )
            found.update({(f, p, e): (i, s) for f, p, e, i, s in rows})
    return found


def _record_changes(cw: Casework, changes: list[tuple[Routed, tuple[int, str]]], source: str, tally: Tally) -> None:
    """Record what changed on the platform for comments that are cases; repeats of the latest are skipped."""
    if not changes:
        return
    with cw.uow() as uow:
        latest: dict[int, tuple[str | None, str | None]] = {}
        for routed, (case_id, state) in changes:
            item = routed.item
            if isinstance(item, IncomingComment):
                action, digest = "platform_edit", text_digest(item.text)
            else:
                action, digest = CHANGE_ACTIONS[item.change], text_digest(item.text)
            if case_id not in latest:
                latest[case_id] = _latest_platform_state(uow.session, case_id)
            last_action, last_digest = latest[case_id]
            if action == "platform_edit" and digest == last_digest:
                tally.already_cases += isinstance(item, IncomingComment)
                continue
            if action != "platform_edit" and action == last_action:
                continue
            data = {"platform": item.platform, "external_id": item.external_id, "source": source}
            if digest:
                data["text_sha256"] = digest
            uow.record(
                action,
                at=cw.now(),
                actor=f"system:{item.platform}",
                role="system",
                case=case_id,
                from_state=state,
                to_state=state,
                data=data,
            )
            latest[case_id] = (action, digest or last_digest)
            tally.changes_recorded += 1
        uow.commit()


def _latest_platform_state(session: Session, case_id: int) -> tuple[str | None, str | None]:
    """The last platform event of a case and the digest of the text as last known."""
    events = session.execute(
        select(col(CaseEvent.action), col(CaseEvent.data))
        .where(col(CaseEvent.case_id) == case_id, col(CaseEvent.action).in_(tuple(CHANGE_ACTIONS.values())))
        .order_by(col(CaseEvent.seq).desc())
        .limit(20)
    ).all()
    last_action = events[0][0] if events else None
    digest = next((d.get("text_sha256") for a, d in events if a == "platform_edit" and d.get("text_sha256")), None)
    if digest is None:
        text = session.execute(select(col(Comment.text)).where(col(Comment.case_id) == case_id)).scalar_one_or_none()
        digest = text_digest(text)
    return last_action, digest
