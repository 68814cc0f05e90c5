"""Named guards: each returns None to allow, or the reason for refusing."""

from __future__ import annotations

from workflows.spec import GuardContext


def not_a_referrer(ctx: GuardContext) -> str | None:
    """Separation of duties: nobody who has referred the case (any referral in its history) may advise."""
    if ctx.actor_id is not None and ctx.actor_id in (ctx.case.referrer_ids or ()):
        return "you referred this case, so another Crime Bureau member must give the advice"
    return None


def not_an_adviser(ctx: GuardContext) -> str | None:
    """Separation of duties: nobody who has advised on the case (across reopens) may close it."""
    if ctx.actor_id is not None and ctx.actor_id in (ctx.case.adviser_ids or ()):
        return "you gave the advice on this case, so another Comms member must close it"
    return None
