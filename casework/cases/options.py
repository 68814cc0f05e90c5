"""What an actor may do with a case now, with the choices each input allows and why a step is barred."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.actions import guard_context
from casework.runtime import Casework
from casework.storage.tables import Case, User
from workflows.spec import Input, TransitionSpec


@dataclass(frozen=True)
class FieldOption:
    input: Input
    choices: tuple[str, ...]  # the choices allowed for this case (platform, force)


@dataclass(frozen=True)
class TransitionOption:
    spec: TransitionSpec
    fields: tuple[FieldOption, ...]
    refusal: str | None  # None: usable now; otherwise the guard's reason


def transition_options(cw: Casework, actor: Actor, case: Case) -> list[TransitionOption]:
    """Transitions from the case's state that the actor's roles cover: usable now or barred by a guard."""
    if not actor.in_force(case.force):
        return []
    ctx = guard_context(cw, actor, case)
    options = []
    for spec in cw.workflow.from_state(case.state):
        if not spec.roles & actor.roles:
            continue
        refusal = cw.flow.refusal(spec.trigger, ctx)
        fields = tuple(FieldOption(i, i.allowed_choices(ctx)) for i in spec.inputs if i.offered(ctx))
        options.append(TransitionOption(spec, fields, refusal.reason if refusal else None))
    return options


@dataclass(frozen=True)
class AssignOption:
    owner_role: str
    teammates: list[User]


def assign_option(cw: Casework, actor: Actor, case: Case) -> AssignOption | None:
    """Who the actor may give the case to, or None when the actor may not assign it."""
    owner = cw.workflow.state(case.state).owner_role
    if owner is None or not actor.in_force(case.force) or not ({owner, "supervisor"} & actor.roles):
        return None
    with cw.reader() as uow:
        users = uow.session.execute(
            select(User).where(col(User.active).is_(True)).order_by(col(User.username))
        ).scalars()
        teammates = [u for u in users if owner in u.roles and case.force in u.forces]
    return AssignOption(owner, teammates)
