"""Finding a case: a reference jumps to it; anything else is ranked full-text search within the user's forces."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Mapped, Session
from sqlmodel import col

from casework.access.actors import Actor
from casework.cases.consultation import log_list
from casework.cases.search_index import handle_key
from casework.cases.tables import SearchDoc
from casework.errors import ValidationError
from casework.runtime import Casework
from casework.storage.tables import Case, Comment

_CASE_ID = cast("Mapped[int]", col(Case.id))
MAX_QUERY = 200
MAX_WORDS = 12
LIMIT = 25
MARK_START, MARK_END = "\ue000", "\ue001"  # private-use markers around matches, turned into <mark> on output
_REFERENCE = re.compile(r"\s*([A-Za-z]{1,6})[-\s/]*(\d{4})[-\s/]*0*(\d{1,9})\s*")
_WORD = re.compile(r"\w+")

# Ranking costs time for every match, so a word in most comments would be slow to rank across them all:
# only about the newest RANK_WINDOW matches are ranked (all of them whenever fewer match, the usual case).
RANK_WINDOW = 2000
_SQLITE_FLOOR = text(
    "SELECT rowid FROM case_search_fts WHERE case_search_fts MATCH :match ORDER BY rowid DESC LIMIT 1 OFFSET :window"
)
_SQLITE = text(
    "SELECT f.rowid AS case_id, bm25(case_search_fts, 4.0, 2.0, 1.0) AS score "
    "FROM case_search_fts f JOIN case_search s ON s.case_id = f.rowid "
    "WHERE case_search_fts MATCH :match AND f.rowid >= :floor AND s.force IN :forces ORDER BY score LIMIT :limit"
).bindparams(bindparam("forces", expanding=True))
_SQLITE_SNIPPETS = text(
    "SELECT rowid, snippet(case_search_fts, -1, :start, :end, '…', 14) FROM case_search_fts "
    "WHERE case_search_fts MATCH :match AND rowid IN :ids"
).bindparams(bindparam("ids", expanding=True))
_POSTGRES_NEWEST = text("SELECT max(case_id) FROM case_search")
_POSTGRES_IN_RANGE = text(
    "SELECT count(*) FROM (SELECT 1 FROM case_search WHERE tsv @@ plainto_tsquery('english', :words) "
    "AND case_id > :low LIMIT :window) AS found"
)
_POSTGRES = text(
    "SELECT s.case_id, ts_rank(s.tsv, q) AS score FROM case_search s, plainto_tsquery('english', :words) q "
    "WHERE s.tsv @@ q AND s.case_id >= :floor AND s.force IN :forces ORDER BY score DESC LIMIT :limit"
).bindparams(bindparam("forces", expanding=True))
_POSTGRES_SNIPPETS = text(
    "SELECT s.case_id, ts_headline('english', concat_ws(' … ', s.author, s.comment_text, s.notes), "
    "plainto_tsquery('english', :words), :options) FROM case_search s WHERE s.case_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, MaxFragments=2"


@dataclass(frozen=True)
class Hit:
    reference: str
    force: str
    state: str
    detected_at: datetime
    author_handle: str | None  # None once redacted
    snippet: list[tuple[str, bool]]  # (text, matched) pieces, escaped by whoever renders them
    exact_handle: bool = False


@dataclass(frozen=True)
class SearchResult:
    query: str
    jump: str | None  # the reference to open at once
    hits: list[Hit]
    more: bool  # more matches than shown: refine the words


def reference_of(query: str) -> str | None:
    """`wk-2026-13`, `WK 2026 000013` and `WK-2026-000013` all name WK-2026-000013."""
    found = _REFERENCE.fullmatch(query)
    if not found:
        return None
    prefix, year, number = found.groups()
    return f"{prefix.upper()}-{year}-{int(number):06d}"


def search(cw: Casework, actor: Actor, query: str, *, via: str, limit: int = LIMIT) -> SearchResult:
    """Search the actor's forces; a page of hits is one consultation event."""
    query = (query or "").strip()
    if not query or len(query) > MAX_QUERY or "\x00" in query:
        raise ValidationError({"q": f"type a reference or 1-{MAX_QUERY} characters of words to find"})
    forces = sorted(actor.forces)
    reference = reference_of(query)
    with cw.reader() as uow:
        s = uow.session
        if reference:
            force = s.execute(select(col(Case.force)).where(col(Case.reference) == reference)).scalar_one_or_none()
            if force in actor.forces:
                return SearchResult(query, reference, [], False)
        words = _WORD.findall(query)[:MAX_WORDS]
        if not words or not forces:
            return SearchResult(query, None, [], False)
        exact = _exact_handle(s, query, forces)
        ranked = [i for i in _ranked(s, words, forces, limit + 1) if i not in exact]
        ids = (exact + ranked)[: limit + 1]
        more, ids = len(ids) > limit, ids[:limit]
        hits = _hits(s, ids, _snippets(s, words, ids), set(exact))
    log_list(
        cw,
        actor,
        scope="search",
        via=via,
        shown=[(h.reference, h.force) for h in hits],
        detail={"query": query},
    )
    return SearchResult(query, None, hits, more)


def _exact_handle(s: Session, query: str, forces: list[str]) -> list[int]:
    key = handle_key(query)
    if not key or " " in key:
        return []
    return list(
        s.execute(
            select(col(SearchDoc.case_id))
            .where(col(SearchDoc.handle_key) == key, col(SearchDoc.force).in_(forces))
            .order_by(col(SearchDoc.case_id).desc())
            .limit(LIMIT)
        ).scalars()
    )


def _fts_match(words: list[str]) -> str:
    """Every word, each quoted, so nothing the user types is read as FTS5 query syntax."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def _ranked(s: Session, words: list[str], forces: list[str], limit: int) -> list[int]:
    if s.get_bind().dialect.name != "postgresql":
        terms: dict[str, object] = {"match": _fts_match(words)}
        floor = s.execute(_SQLITE_FLOOR, {**terms, "window": RANK_WINDOW - 1}).scalar() or 0
        rows = s.execute(_SQLITE, {**terms, "floor": floor, "forces": forces, "limit": limit})
        return [row[0] for row in rows]
    # A GIN index gives its matches in no order, and PostgreSQL would rather walk the primary key testing every
    # row for the words (a word in 3% of a million cases: 200,000 rows). Bitmaps of the index and of an id range
    # read only the matches in that range, so a search reads a few windows of rows however many match.
    # SET LOCAL ends with the transaction, so a failed query cannot leave the setting behind.
    top = s.execute(_POSTGRES_NEWEST).scalar() or 0  # from the primary key, before index scans are put off
    s.execute(text("SET LOCAL enable_indexscan = off"))
    terms = {"words": " ".join(words)}
    floor = _postgres_floor(s, terms, top)
    ranked = [row[0] for row in s.execute(_POSTGRES, {**terms, "floor": floor, "forces": forces, "limit": limit})]
    s.execute(text("SET LOCAL enable_indexscan TO DEFAULT"))
    return ranked


def _postgres_floor(s: Session, terms: dict[str, object], top: int) -> int:
    """The first id of a range of the newest ids that holds about RANK_WINDOW matches (0: rank every match).

    The matches among the newest RANK_WINDOW ids tell how dense the words are, and so how wide a range holds a
    window of them; at most three counts, each reading only the matches in its range.
    """
    span = RANK_WINDOW
    for _ in range(3):
        if span >= top:
            return 0
        found = s.execute(_POSTGRES_IN_RANGE, {**terms, "low": top - span, "window": RANK_WINDOW}).scalar_one()
        if found >= RANK_WINDOW:
            return top - span + 1
        if found * top <= 4 * RANK_WINDOW * span:  # few match in the whole table: rank them all
            return 0
        span = span * RANK_WINDOW * 5 // (found * 4)
    return max(top - span + 1, 0)


def _snippets(s: Session, words: list[str], ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    if s.get_bind().dialect.name == "postgresql":
        rows = s.execute(_POSTGRES_SNIPPETS, {"words": " ".join(words), "options": _HEADLINE, "ids": ids})
    else:
        params = {"match": _fts_match(words), "start": MARK_START, "end": MARK_END, "ids": ids}
        rows = s.execute(_SQLITE_SNIPPETS, params)
    return {case_id: snippet or "" for case_id, snippet in rows}


def pieces(snippet: str) -> list[tuple[str, bool]]:
    """Split a marked snippet into (text, matched) pieces; markers typed into a comment cannot survive this."""
    out: list[tuple[str, bool]] = []
    for i, part in enumerate(snippet.split(MARK_START)):
        matched, _, rest = part.partition(MARK_END) if i else ("", "", part)
        if matched:
            out.append((matched, True))
        if rest:
            out.append((rest.replace(MARK_END, ""), False))
    return out


def _hits(s: Session, ids: list[int], snippets: dict[int, str], exact: set[int]) -> list[Hit]:
    if not ids:
        return []
    rows = s.execute(
        select(
            _CASE_ID,
            col(Case.reference),
            col(Case.force),
            col(Case.state),
            col(Case.detected_at),
            col(Comment.author_handle),
            col(Comment.text),
        )
        .join(Comment, col(Comment.case_id) == col(Case.id))
        .where(col(Case.id).in_(ids))
    ).all()
    by_id = {
        row[0]: Hit(
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            pieces(snippets.get(row[0]) or (row[6] or "")[:160]),
            row[0] in exact,
        )
        for row in rows
    }
    return [by_id[i] for i in ids if i in by_id]
