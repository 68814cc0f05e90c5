"""Named guards: each returns None to allow, or the reason for refusing."""

from __future__ import annotations

from workflows.spec import GuardContext


def not_the_referrer(ctx: GuardContext) -> str | None:
    """Separation of duties: the referrer cannot also give the Crime Bureau's advice."""
    if ctx.actor_id is not None and ctx.actor_id == ctx.case.referred_by_id:
        return "you referred this case, so another Crime Bureau member must give the advice"
    return None


def not_the_adviser(ctx: GuardContext) -> str | None:
    """Separation of duties: whoever gave the advice cannot close the case."""
    if ctx.actor_id is not None and ctx.actor_id == ctx.case.advised_by_id:
        return "you gave the advice on this case, so another Comms member must close it"
    return None
