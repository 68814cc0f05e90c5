"""Acting on a case: triggers, assignment, internal comments, links. Every entry point calls these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from casework.access.actors import Actor
from casework.access.users import find_user
from casework.cases import rows as case_rows
from casework.cases import search_index
from casework.cases.queries import case_in_force
from casework.cases.refusals import record_refusal, record_refused_request
from casework.errors import (
    CaseNotFound,
    CaseworkError,
    ConcurrentUpdate,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from casework.events import CaseChanged
from casework.runtime import Casework
from casework.storage.tables import Case, CaseLink
from casework.storage.uow import UnitOfWork
from workflows.effects import Action
from workflows.spec import GuardContext, TransitionSpec, clean_inputs

MAX_COMMENT = 10_000


def guard_context(
    cw: Casework, actor: Actor, case: Case | case_rows.CaseRecord, inputs: dict[str, Any] | None = None
) -> GuardContext:
    return GuardContext(
        case=case,
        actor_id=actor.id,
        actor_roles=actor.roles,
        force_nchi_enabled=cw.settings.force(case.force).nchi_enabled,
        inputs=inputs,
    )


def available_transitions(cw: Casework, actor: Actor, case: Case | case_rows.CaseRecord) -> list[TransitionSpec]:
    """The triggers this actor may use on this case now (guards included, inputs not yet given)."""
    if not actor.in_force(case.force):
        return []
    return cw.flow.available(guard_context(cw, actor, case))


def _check_force(actor: Actor, case: case_rows.CaseRecord) -> None:
    if not actor.in_force(case.force):  # answered as an unknown reference (`case_rows.load`), confirming nothing
        raise CaseNotFound(f"no case {case.reference!r}")


def _check_version(case: case_rows.CaseRecord, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise ConcurrentUpdate(
            f"case {case.reference} changed since you loaded it (you had version {expected_version}, "
            f"it is now {case.version}); reload it and try again",
            details={"current_version": case.version, "state": case.state},
        )


@dataclass(frozen=True)
class Outcome:
    case: case_rows.CaseRecord
    trigger: str
    source: str
    dest: str


@contextmanager
def _acting_on(
    cw: Casework, actor: Actor, reference: str, attempted: str
) -> Iterator[tuple[UnitOfWork, case_rows.CaseRecord]]:
    """The action's unit of work on one case of the actor's forces; a refusal rolls back, then is recorded."""
    seen: tuple[int, str] | None = None
    try:
        with cw.uow() as uow:
            case = case_rows.load(uow.driver, reference)
            seen = (case.id, case.state)
            _check_force(actor, case)
            yield uow, case
    except CaseworkError as exc:
        record_refusal(cw, actor, attempted, exc, case=seen, detail={"reference": reference[:40]})
        raise


@contextmanager
def _recording_refusals(cw: Casework, actor: Actor, reference: str, attempted: str) -> Iterator[None]:
    """Record a refusal once the refused transaction has rolled back (enter before the unit of work)."""
    try:
        yield
    except CaseworkError as exc:
        record_refused_request(cw, actor, reference, attempted, exc)
        raise


def apply_trigger(
    cw: Casework,
    actor: Actor,
    reference: str,
    trigger: str,
    inputs: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Fire a workflow trigger: check, change state, record the event, all in one transaction."""
    with _acting_on(cw, actor, reference, trigger) as (uow, case):
        _check_version(case, expected_version)
        ctx = guard_context(cw, actor, case)
        if refusal := cw.flow.refusal(trigger, ctx):
            error = PermissionDenied if refusal.kind == "role" else TransitionNotAllowed
            allowed = [t.trigger for t in available_transitions(cw, actor, case)]
            raise error(refusal.reason, details={"allowed": allowed})
        spec = cw.workflow.transition(trigger)
        assert spec is not None  # an unknown trigger is refused above
        clean, errors = clean_inputs(spec, inputs or {}, ctx)
        if errors:
            raise ValidationError(errors, f"{trigger}: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        source, now, holder, threat = case.state, cw.now(), case.assignee_id, bool(case.threat_to_life)
        role = actor.role_for(spec.roles)
        cw.flow.fire(Action(case, trigger, actor.id, clean, now), guard_context(cw, actor, case, clean))
        case.updated_at = now
        case_rows.save(uow.driver, case)
        uow.record(
            "transition",
            at=now,
            actor=actor.username,
            role=role,
            case=case,
            from_state=source,
            to_state=case.state,
            data={"trigger": trigger, "inputs": clean},
        )
        change = CaseChanged(
            "transitioned", case, actor, now, trigger, source, case.state, clean, holder, previous_threat_to_life=threat
        )
        cw.publish(uow, change)
        uow.commit()
        return Outcome(case, trigger, source, case.state)


def assign(
    cw: Casework, actor: Actor, reference: str, assignee: str | None, expected_version: int | None = None
) -> case_rows.CaseRecord:
    """Give the case to a member of the team that owns its stage (or take it off them)."""
    with _acting_on(cw, actor, reference, "assign") as (uow, case):
        owner = cw.workflow.state(case.state).owner_role
        if owner is None:
            raise TransitionNotAllowed(f"a {case.state} case cannot be assigned")
        if not ({owner, "supervisor"} & actor.roles):
            raise PermissionDenied(f"assigning a case at {case.state} needs the role {owner} or supervisor")
        _check_version(case, expected_version)
        user = None
        if assignee:
            user = find_user(uow.session, assignee)
            if user is None or not user.active:
                raise ValidationError({"assignee": f"no active user {assignee!r}"})
            if owner not in user.roles or case.force not in user.forces:
                raise ValidationError({"assignee": f"{user.username} is not a {owner} of {case.force}"})
        now, before = cw.now(), case.assignee_id
        case.assignee_id = user.id if user else None
        case.updated_at = now
        case_rows.save(uow.driver, case)
        uow.record(
            "assigned",
            at=now,
            actor=actor.username,
            role=actor.role_for({owner, "supervisor"}),
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={"assignee": user.username if user else None, "previous_assignee_id": before},
        )
        cw.publish(uow, CaseChanged("assigned", case, actor, now))
        uow.commit()
        return case


def add_comment(cw: Casework, actor: Actor, reference: str, text: str) -> None:
    """An internal note on the case's timeline; it does not change the case."""
    with _recording_refusals(cw, actor, reference, "comment"), cw.uow() as uow:
        case = case_in_force(uow.session, actor, reference)
        if actor.roles <= {"auditor"}:
            raise PermissionDenied("auditors read cases; they do not comment on them")
        text = (text or "").strip()
        if not text or len(text) > MAX_COMMENT or "\x00" in text:
            raise ValidationError({"text": f"a note of 1-{MAX_COMMENT} characters is required"})
        uow.record(
            "comment",
            at=cw.now(),
            actor=actor.username,
            role=sorted(actor.roles)[0],
            case=case,
            from_state=case.state,
            to_state=case.state,
            data={"text": text},
        )
        assert case.id is not None  # a stored case has an id
        search_index.add_text(uow, case.id, text)
        cw.publish(uow, CaseChanged("commented", case, actor, cw.now(), inputs={"text": text}))  # @mentions
        uow.commit()


def link_cases(cw: Casework, actor: Actor, reference: str, other_reference: str) -> None:
    """Link two cases of the same author in the same force (a course of conduct)."""
    with _recording_refusals(cw, actor, reference, "link"), cw.uow() as uow:
        case, other = case_in_force(uow.session, actor, reference), case_in_force(uow.session, actor, other_reference)
        if actor.roles <= {"auditor"}:
            raise PermissionDenied("auditors cannot link cases")
        if (
            case.id == other.id
            or case.force != other.force
            or not case.author_key
            or case.author_key != other.author_key
        ):
            raise ValidationError(
                {"other": "only two different cases of the same author in the same force can be linked"}
            )
        assert case.id is not None and other.id is not None  # stored cases have ids
        first, second = sorted((case.id, other.id))
        exists = uow.session.execute(
            select(CaseLink).where(col(CaseLink.case_id) == first, col(CaseLink.other_case_id) == second)
        ).first()
        if exists:
            return
        if actor.id is None:  # a link records who made it
            raise PermissionDenied("only a signed-in user can link cases")
        now = cw.now()
        uow.session.add(CaseLink(case_id=first, other_case_id=second, linked_by_id=actor.id, linked_at=now))
        for a, b in ((case, other), (other, case)):
            uow.record(
                "linked",
                at=now,
                actor=actor.username,
                case=a,
                from_state=a.state,
                to_state=a.state,
                data={"other": b.reference},
            )
        uow.commit()
