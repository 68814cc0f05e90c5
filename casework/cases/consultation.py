"""A list or search that shows personal data is one consultation (DPA 2018 s.62), naming the cases it showed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casework.access.actors import Actor
from casework.errors import ValidationError
from casework.runtime import Casework

if TYPE_CHECKING:
    from casework.storage.uow import UnitOfWork

VIA = ("web", "api", "cli")
VIEWED = "viewed"  # the action of a consultation: a list shown, or one case opened (`disclosure.log_view`)


def check_via(via: str) -> None:
    """Every consultation names the door it came through."""
    if via not in VIA:
        raise ValidationError({"via": f"one of {', '.join(VIA)}"})


MAX_NAMED = 500
_LISTED = "INSERT INTO listed_cases (reference, at, actor) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"


def log_list(
    cw: Casework, actor: Actor, *, scope: str, via: str, shown: Sequence[tuple[str, str]], detail: dict[str, Any]
) -> None:
    """One `viewed` event for the page of (reference, force) the actor was shown; nothing if it was empty."""
    check_via(via)
    if not shown:
        return
    data, at = listing_data(scope, via, shown, detail), cw.now()
    with cw.uow() as uow:
        uow.record(VIEWED, at=at, actor=actor.username, role=actor.role_label, data=data)
        index_listed(uow, data["references"], at, actor.username)
        uow.commit()


def listing_data(scope: str, via: str, shown: Sequence[tuple[str, str]], detail: dict[str, Any]) -> dict[str, Any]:
    """A list consultation's event data: the first MAX_NAMED references shown, and every force they belong to."""
    return {
        "scope": scope,
        "via": via,
        "references": [ref for ref, _ in shown[:MAX_NAMED]],
        "forces": sorted({force for _, force in shown}),
        **detail,
    }


def index_listed(uow: UnitOfWork, references: Sequence[str], at: datetime, actor: str) -> None:
    """Name each case a list showed beside its event (the event's `at` and `actor`), so a case's disclosure
    log finds the lists by index; a list shown twice in one instant (a frozen clock) is one row a case."""
    driver = uow.driver
    driver.executemany(_LISTED, [driver.values((ref, at, actor)) for ref in dict.fromkeys(references)])
