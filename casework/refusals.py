"""Refused attempts are history too: who tried what, and why it was refused."""
from __future__ import annotations

import logging

from casework.actors import Actor
from casework.errors import CaseworkError
from casework.runtime import Casework

log = logging.getLogger(__name__)


def record_refusal(cw: Casework, actor: Actor, attempted: str, error: CaseworkError, *, case=None,
                   detail: dict | None = None) -> None:
    """Write the refusal in its own transaction, after the refused one was rolled back."""
    data = {"attempted": attempted, "refusal": type(error).__name__, "reason": error.message[:2000]}
    if errors := error.details.get("errors"):
        data["errors"] = {k: str(v)[:500] for k, v in errors.items()}
    data.update(detail or {})
    with cw.uow() as uow:
        uow.record("refused", at=cw.now(), actor=actor.username, role=",".join(sorted(actor.roles))[:40] or None,
                   case=getattr(case, "id", None), from_state=getattr(case, "state", None),
                   to_state=getattr(case, "state", None), data=data)
        uow.commit()
    log.info("refused %s by %s: %s", attempted, actor.username, error.message)
