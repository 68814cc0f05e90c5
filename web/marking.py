"""The protective marking shown on every page: the case's force's on a case, else the user's forces'."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from casework.config import DEFAULT_MARKING


def for_force(force: str) -> None:
    """Mark this response with the marking of the force whose data it shows."""
    g.marking_force = force


def register_marking(app: Flask) -> None:
    forces = app.extensions["casework"].settings.forces

    @app.context_processor
    def protective_marking() -> dict[str, str]:
        code = g.get("marking_force")
        if code in forces:
            return {"protective_marking": forces[code].marking}
        mine = sorted(current_user.actor.forces) if current_user.is_authenticated else []
        markings = sorted({forces[f].marking for f in mine if f in forces})
        return {"protective_marking": " / ".join(markings) or DEFAULT_MARKING}
