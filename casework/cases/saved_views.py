"""Saved views: a user's named /cases filters, optionally shared with a team of their forces."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from sqlalchemy import delete, or_, select
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.listing import parse_query
from casework.cases.tables import SavedView
from casework.errors import NotFound, PermissionDenied, ValidationError
from casework.runtime import Casework
from casework.storage.tables import User

MAX_VIEWS = 50
MAX_QUERY = 2000  # the column's length


@dataclass(frozen=True)
class ViewLink:
    id: int
    name: str
    query: str
    owner: str
    shared_role: str | None
    mine: bool


def save_view(cw: Casework, actor: Actor, name: str, query: str, shared_role: str | None = None) -> ViewLink:
    """Keep the filters of `query` (a /cases query string) under `name`; the same name again replaces it."""
    if actor.id is None:
        raise PermissionDenied("only a signed-in user keeps saved views")
    name = " ".join((name or "").split())
    errors = {}
    if not 1 <= len(name) <= 80:
        errors["name"] = "a name of 1-80 characters"
    if shared_role and shared_role not in actor.roles:
        errors["shared_role"] = f"share with a team you belong to: {', '.join(sorted(actor.roles))}"
    if errors:
        raise ValidationError(errors)
    args = {k: v for k, v in parse_qs(query or "", keep_blank_values=False).items() if k != "after"}
    clean = urlencode(parse_query(cw, args).args(after=""))
    if len(clean) > MAX_QUERY:
        raise ValidationError({"query": f"a view keeps at most {MAX_QUERY} characters of filters"})
    with cw.uow() as uow:
        s = uow.session
        s.execute(delete(SavedView).where(col(SavedView.owner_id) == actor.id, col(SavedView.name) == name))
        count = len(s.execute(select(col(SavedView.id)).where(col(SavedView.owner_id) == actor.id)).all())
        if count >= MAX_VIEWS:
            raise ValidationError({"name": f"at most {MAX_VIEWS} saved views; delete one first"})
        view = SavedView(
            owner_id=actor.id,
            name=name,
            query=clean,
            shared_role=shared_role or None,
            forces=sorted(actor.forces),
            created_at=cw.now(),
        )
        s.add(view)
        uow.commit()
        assert view.id is not None  # stored
        return ViewLink(view.id, name, clean, actor.username, view.shared_role, True)


def views_for(cw: Casework, actor: Actor) -> list[ViewLink]:
    """The actor's own views and those shared with a team they are in, for a force they share."""
    if actor.id is None:
        return []
    with cw.reader() as uow:
        rows = uow.session.execute(
            select(SavedView, col(User.username))
            .join(User, col(User.id) == col(SavedView.owner_id))
            .where(
                or_(
                    col(SavedView.owner_id) == actor.id,
                    col(SavedView.shared_role).in_(sorted(actor.roles)),
                )
            )
            .order_by(col(SavedView.name), col(SavedView.id))
        ).all()
    return [
        ViewLink(v.id, v.name, v.query, owner, v.shared_role, v.owner_id == actor.id)
        for v, owner in rows
        if v.id is not None and (v.owner_id == actor.id or set(v.forces) & actor.forces)
    ]


def delete_view(cw: Casework, actor: Actor, view_id: int) -> None:
    with cw.uow() as uow:
        view = uow.session.get(SavedView, view_id)
        if view is None or view.owner_id != actor.id:
            raise NotFound(f"you have no saved view {view_id}")
        uow.session.delete(view)
        uow.commit()
