"""A list or search that shows personal data is one consultation (DPA 2018 s.62), naming the cases it showed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from casework.access.actors import Actor
from casework.errors import ValidationError
from casework.runtime import Casework

VIA = ("web", "api", "cli")


def check_via(via: str) -> None:
    """Every consultation names the door it came through."""
    if via not in VIA:
        raise ValidationError({"via": f"one of {', '.join(VIA)}"})


MAX_NAMED = 500


def log_list(
    cw: Casework, actor: Actor, *, scope: str, via: str, shown: Sequence[tuple[str, str]], detail: dict[str, Any]
) -> None:
    """One `viewed` event for the page of (reference, force) the actor was shown; nothing if it was empty."""
    check_via(via)
    if not shown:
        return
    with cw.uow() as uow:
        uow.record(
            "viewed",
            at=cw.now(),
            actor=actor.username,
            role=actor.role_label,
            data={
                "scope": scope,
                "via": via,
                "references": [ref for ref, _ in shown[:MAX_NAMED]],
                "forces": sorted({force for _, force in shown}),
                **detail,
            },
        )
        uow.commit()
