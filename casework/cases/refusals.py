"""Refused attempts are history too: who tried what, and why it was refused."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from casework.access.actors import Actor
from casework.errors import CaseworkError
from casework.runtime import Casework
from casework.storage.tables import Case, table_of

log = logging.getLogger(__name__)
_cases = table_of(Case)


def record_refusal(
    cw: Casework,
    actor: Actor,
    attempted: str,
    error: CaseworkError,
    *,
    case: tuple[int, str] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write the refusal in its own transaction, after the refused one was rolled back.

    `case` is (id, state) as read before the attempt: the rolled-back case object may not be read again.
    """
    data: dict[str, Any] = {"attempted": attempted, "refusal": type(error).__name__, "reason": error.message[:2000]}
    if errors := error.details.get("errors"):
        data["errors"] = {k: str(v)[:500] for k, v in errors.items()}
    data.update(detail or {})
    with cw.uow() as uow:
        uow.record(
            "refused",
            at=cw.now(),
            actor=actor.username,
            role=actor.role_label,
            case=case[0] if case else None,
            from_state=case[1] if case else None,
            to_state=case[1] if case else None,
            data=data,
        )
        uow.commit()
    log.info("refused %s by %s: %s", attempted, actor.username, error.message)


def record_refused_request(cw: Casework, actor: Actor, reference: str, attempted: str, error: CaseworkError) -> None:
    """A request an entry point refused before any service ran (bad form, body or step) is history too."""
    with cw.reader() as uow:
        row = uow.session.execute(
            select(_cases.c.id, _cases.c.state).where(_cases.c.reference == reference[:40])
        ).one_or_none()
    record_refusal(
        cw,
        actor,
        attempted[:60],
        error,
        case=(row.id, row.state) if row else None,
        detail={"reference": reference[:40]},
    )
