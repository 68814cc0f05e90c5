"""`/cases`: every case the user may see, in any state, filtered and sorted, a keyset page at a time.

Pages continue after the last row shown (no OFFSET) and nothing counts every match, so a page costs
the same on the first page and the thousandth.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Select, exists, func, select, true, tuple_
from sqlalchemy.orm import Mapped
from sqlmodel import col

from casework.access.actors import Actor
from casework.access.users import find_user
from casework.cases.consultation import log_list
from casework.cases.listing_indexes import indexed_columns, unindexed
from casework.cases.tables import CaseTag
from casework.clock import LONDON
from casework.errors import ValidationError
from casework.runtime import Casework
from casework.sla.models import SlaClock
from casework.storage.tables import Case, Comment, User
from workflows.a017 import ADVICE_OUTCOMES, CATEGORIES, OFFENCES, PLATFORMS, STRANDS

PER_PAGE, MAX_PER_PAGE, EXCERPT = 50, 200, 160
OUTCOMES = ("dismissed", "moderated", *ADVICE_OUTCOMES)
SORTS = {"detected": col(Case.detected_at), "updated": col(Case.updated_at), "reference": col(Case.reference)}
CHOICES = {
    "outcome": OUTCOMES,
    "category": CATEGORIES,
    "strand": STRANDS,
    "offence": OFFENCES,
    "platform": PLATFORMS,
}
FLAGS = ("mine", "referred_by_me", "breached", "threat_to_life")
FIELDS = ("state", "force", "channel", "assignee", "from", "to", "sort", "after", "per_page", *CHOICES, *FLAGS)

_CASE_ID = cast("Mapped[int]", col(Case.id))


@dataclass(frozen=True)
class CaseQuery:
    """The filters of /cases, checked; `args()` gives them back as a query string's items."""

    state: tuple[str, ...] = ()
    force: tuple[str, ...] = ()
    channel: str = ""
    assignee: str = ""  # a username, or "none"
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    detected_from: date | None = None
    detected_to: date | None = None
    sort: str = "-detected"
    after: str = ""
    per_page: int = PER_PAGE

    def args(self, **changes: Any) -> list[tuple[str, str]]:
        items = [("state", s) for s in self.state] + [("force", f) for f in self.force]
        items += [(name, v) for name, values in sorted(self.choices.items()) for v in values]
        items += [(k, v) for k, v in (("channel", self.channel), ("assignee", self.assignee)) if v]
        items += [(flag, "1") for flag in FLAGS if flag in self.flags]
        items += [(k, d.isoformat()) for k, d in (("from", self.detected_from), ("to", self.detected_to)) if d]
        items += [("sort", self.sort)] if self.sort != "-detected" else []
        items += [("per_page", str(self.per_page))] if self.per_page != PER_PAGE else []
        after = changes.get("after", self.after)
        return items + ([("after", after)] if after else [])


def parse_query(cw: Casework, args: Mapping[str, Sequence[str]]) -> CaseQuery:
    """Read /cases filters from query-string lists; every bad value is named in one ValidationError."""
    errors: dict[str, str] = {}
    unknown = sorted(set(args) - set(FIELDS))
    if unknown:
        errors["query"] = f"unknown filter {', '.join(unknown)[:200]}; use {', '.join(FIELDS)}"

    def values(name: str, allowed: Sequence[str]) -> tuple[str, ...]:
        got = tuple(dict.fromkeys(v for v in args.get(name, ()) if v))
        if bad := [v for v in got if v not in allowed]:
            errors[name] = f"unknown {', '.join(bad)[:100]}; choose from {', '.join(allowed)}"
        return got

    def one(name: str, limit: int = 200) -> str:
        value = (list(args.get(name, ())) or [""])[-1].strip()
        if len(value) > limit or "\x00" in value:
            errors[name] = f"at most {limit} characters"
        return value

    def day(name: str) -> date | None:
        value = one(name, 10)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = "a date as YYYY-MM-DD"
            return None

    state = values("state", [s.name for s in cw.workflow.states])
    force = values("force", sorted(cw.settings.forces))
    choices = {name: got for name, allowed in CHOICES.items() if (got := values(name, allowed))}
    flags = frozenset(f for f in FLAGS if one(f, 5) in ("1", "on", "true", "yes"))
    sort, per_page = one("sort", 20) or "-detected", one("per_page", 4) or str(PER_PAGE)
    if sort.lstrip("-") not in SORTS:
        errors["sort"] = f"one of {', '.join(sorted(SORTS))}, with '-' for newest or last first"
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        errors["per_page"] = f"a number of rows from 1 to {MAX_PER_PAGE}"
    query = CaseQuery(
        state=state,
        force=force,
        channel=one("channel"),
        assignee=one("assignee", 64).lower(),
        choices=choices,
        flags=flags,
        detected_from=day("from"),
        detected_to=day("to"),
        sort=sort,
        after=one("after", 400),
        per_page=int(per_page) if per_page.isdigit() else PER_PAGE,
    )
    if query.detected_from and query.detected_to and query.detected_from > query.detected_to:
        errors["to"] = "the end date comes before the start date"
    if errors:
        raise ValidationError(errors)
    return query


@dataclass(frozen=True)
class CaseRow:
    id: int
    reference: str
    version: int
    force: str
    platform: str
    channel: str
    state: str
    outcome: str | None
    detected_at: datetime
    updated_at: datetime
    threat_to_life: bool
    assignee: str | None
    author_handle: str | None
    excerpt: str | None


@dataclass(frozen=True)
class CaseListPage:
    rows: list[CaseRow]
    query: CaseQuery
    next_after: str | None  # the cursor of the next page, if there is one


def list_cases(cw: Casework, actor: Actor, query: CaseQuery, *, via: str) -> CaseListPage:
    """One page of the cases the actor may see; showing it is one consultation event."""
    page = read_page(cw, actor, query)
    log_list(cw, actor, scope="cases", via=via, shown=[(r.reference, r.force) for r in page.rows], detail={})
    return page


def read_page(cw: Casework, actor: Actor, query: CaseQuery) -> CaseListPage:
    """One page, unlogged: for callers that record their own disclosure (an export)."""
    columns = (
        _CASE_ID,
        col(Case.reference),
        col(Case.version),
        col(Case.force),
        col(Case.platform),
        col(Case.channel),
        col(Case.state),
        col(Case.outcome),
        col(Case.detected_at),
        col(Case.updated_at),
        col(Case.threat_to_life),
        col(User.username),
        col(Comment.author_handle),
        func.substr(Comment.text, 1, EXCERPT),
    )
    with cw.reader() as uow:
        statement = _keyset(uow.session, actor, query, select(*columns))
        statement = statement.outerjoin(User, col(User.id) == Case.assignee_id).outerjoin(
            Comment, col(Comment.case_id) == Case.id
        )
        rows = uow.session.execute(statement).all()
    page = [CaseRow(*row) for row in rows[: query.per_page]]
    return CaseListPage(page, query, _next_cursor(page[-1], query.sort) if len(rows) > query.per_page else None)


def read_cases(cw: Casework, actor: Actor, query: CaseQuery) -> tuple[list[Case], str | None]:
    """One page of whole case rows and the cursor of the next page, unlogged (the API logs what it shows)."""
    with cw.reader() as uow:
        rows = list(uow.session.execute(_keyset(uow.session, actor, query, select(Case))).scalars())
    page = rows[: query.per_page]
    return page, _next_cursor(page[-1], query.sort) if len(rows) > query.per_page else None


def _keyset(s: Any, actor: Actor, query: CaseQuery, statement: Select[Any]) -> Select[Any]:
    """The query's filters, continued after its cursor, in its sort order, one row more than a page."""
    key = SORTS[query.sort.lstrip("-")]
    descending = query.sort.startswith("-")
    where = _conditions(s, actor, query)
    # references are unique: ordered by the reference alone, the page walks their unique index
    position: Any = key if key is SORTS["reference"] else tuple_(key, col(Case.id))
    if query.after:
        value, last_id = _cursor(query.after, query.sort)
        bound: Any = value if key is SORTS["reference"] else (value, last_id)
        where.append(position < bound if descending else position > bound)
    order = [key] if key is SORTS["reference"] else [key, col(Case.id)]
    statement = statement.where(*where).order_by(*(c.desc() for c in order) if descending else order)
    return statement.limit(query.per_page + 1)


def _single_valued(q: CaseQuery) -> set[str]:
    counts = {"state": len(q.state), **{name: len(q.choices.get(name, ())) for name in ("outcome", "platform")}}
    single = {name for name, count in counts.items() if count == 1}
    single |= {"channel"} if q.channel else set()
    single |= {"assignee_id"} if q.assignee or "mine" in q.flags else set()
    single |= {"referred_by_id"} if "referred_by_me" in q.flags else set()
    return single | ({"threat_to_life"} if "threat_to_life" in q.flags else set())


def _conditions(s: Any, actor: Actor, q: CaseQuery) -> list[ColumnElement[bool]]:
    """The filters as SQL; on SQLite only the columns of the page's index are written so that it serves them."""
    served = indexed_columns(q.sort, _single_valued(q)) if s.get_bind().dialect.name == "sqlite" else None

    def column(name: str) -> ColumnElement[Any]:
        value: ColumnElement[Any] = getattr(Case, name)
        return value if served is None or name in served else unindexed(value)

    def one_of(name: str, values: Sequence[Any]) -> ColumnElement[bool]:
        return column(name) == values[0] if len(values) == 1 else column(name).in_(values)

    forces = sorted(set(q.force) & actor.forces if q.force else actor.forces)
    where: list[ColumnElement[bool]] = [column("force").in_(forces)]
    if q.state:
        where.append(one_of("state", q.state))
    for name in ("outcome", "platform"):
        if wanted := q.choices.get(name):
            where.append(one_of(name, wanted))
    if q.channel:
        where.append(one_of("channel", [q.channel]))
    for name in ("category", "strand", "offence"):
        if wanted := q.choices.get(name):
            tags = [f"{name}:{v}" for v in wanted]
            where.append(
                exists(select(col(CaseTag.case_id)).where(col(CaseTag.case_id) == Case.id, col(CaseTag.tag).in_(tags)))
            )
    if q.assignee == "none":
        where.append(column("assignee_id").is_(None))
    elif q.assignee:
        user = find_user(s, q.assignee)
        if user is None:
            raise ValidationError({"assignee": f"no user {q.assignee!r}"})
        where.append(one_of("assignee_id", [user.id]))
    if "mine" in q.flags:
        where.append(one_of("assignee_id", [actor.id]))
    if "referred_by_me" in q.flags:
        where.append(one_of("referred_by_id", [actor.id]))
    if "threat_to_life" in q.flags:
        where.append(one_of("threat_to_life", [true()]))
    if "breached" in q.flags:
        where.append(
            exists(
                select(col(SlaClock.id)).where(col(SlaClock.case_id) == Case.id, col(SlaClock.breached_at).isnot(None))
            )
        )
    if q.detected_from:
        where.append(column("detected_at") >= _london_midnight(q.detected_from))
    if q.detected_to:
        where.append(column("detected_at") < _london_midnight(q.detected_to + timedelta(days=1)))
    return where


def _london_midnight(day: date) -> datetime:
    """Dates are London days: 1 July starts at 23:00 UTC on 30 June."""
    return datetime.combine(day, time(0), tzinfo=LONDON)


def _next_cursor(row: CaseRow | Case, sort: str) -> str:
    value = getattr(
        row, {"detected": "detected_at", "updated": "updated_at", "reference": "reference"}[sort.lstrip("-")]
    )
    raw = [value.isoformat() if isinstance(value, datetime) else value, row.id]
    return base64.urlsafe_b64encode(orjson.dumps(raw)).decode().rstrip("=")


def _cursor(after: str, sort: str) -> tuple[Any, int]:
    """The (sort value, id) a page continues after; a cursor of another sort or a forged one is refused."""
    try:
        value, last_id = orjson.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
        if isinstance(last_id, bool) or not isinstance(last_id, int) or not 0 < last_id < 2**63:
            raise ValueError
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        if sort.lstrip("-") == "reference":
            return value, last_id
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:  # every cursor this list writes is in UTC
            raise ValueError
        return when, last_id
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise ValidationError({"after": "not a page of this list; start again from the first page"}) from None
