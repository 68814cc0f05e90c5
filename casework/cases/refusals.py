"""Refused attempts are history too: who tried what, and why it was refused."""

from __future__ import annotations

import logging
from typing import Any

from casework.access.actors import Actor
from casework.errors import CaseworkError
from casework.runtime import Casework

log = logging.getLogger(__name__)


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
