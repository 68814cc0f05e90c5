"""The detector: configurable rules decide which incoming comments become cases, and say why."""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import re2

from casework.errors import ValidationError
from workflows.a017 import CATEGORIES, STRANDS

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "workflows" / "detector_rules.toml"
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
_RULE_KEYS = {"category", "strand", "description", "terms", "phrases", "patterns"}
# Characters people put in place of letters to slip past filters (l33t spelling).
_LOOKALIKES = {
    "a": "4@",
    "b": "8",
    "e": "3€",
    "g": "9",
    "i": "1!|",
    "l": "1|",
    "o": "0",
    "s": "5$",
    "t": "7+",
    "z": "2",
}
# RE2 runs in time linear in the text (a backtracking engine took seconds on "b." * 4000); it has no
# look-around, so word edges are characters the match consumes: text edge, or a non-letter non-digit.
_WORDLIKE = r"\pL\pN"
_INNER = r"[.\-_*~'`,·•]*"  # "k.i.l.l", "k-i-l-l", "k*ll"
_SPACED = r"[\s\pZ.\-_*~'`,·•]+"  # "k i l l": every gap separated
_GAP = rf"[^{_WORDLIKE}]+"  # between the words of a phrase
_EDGE_BEFORE = rf"(?:^|[^{_WORDLIKE}])"
_EDGE_AFTER = rf"(?:$|[^{_WORDLIKE}])"
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 64 << 20  # the combined pre-check of every rule stays on the fast DFA
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


@dataclass(frozen=True)
class Match:
    """Which rule flagged a comment, and on what."""

    rule: str
    category: str
    strand: str | None
    matched: str  # the term, phrase or pattern of the rule (never the comment's own words)

    @property
    def detected_by(self) -> str:
        return f"detector:{self.rule}"

    @property
    def reason(self) -> str:
        kind = self.category.replace("_", " ") + (f" ({self.strand.replace('_', ' ')})" if self.strand else "")
        return f"detector rule {self.rule}: possible {kind}; matched {self.matched!r}"


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    strand: str | None
    description: str
    checks: tuple[tuple[Any, str], ...]  # (compiled RE2 pattern, the rule text it came from)

    def find(self, text: str) -> Match | None:
        for regex, label in self.checks:
            if regex.search(text):
                return Match(self.id, self.category, self.strand, label)
        return None


class Detector:
    """Runs every rule over a normalised comment; the first rule that matches names the flag."""

    def __init__(self, rules: list[Rule], source: str = "rules"):
        self.rules = tuple(rules)
        self.source = source
        # One pass over the text rules out most comments; only a hit is then attributed to its rule.
        self._any = _compile("|".join(f"(?:{regex.pattern})" for rule in self.rules for regex, _ in rule.checks))

    def scan(self, text: str) -> list[Match]:
        plain = normalise(text)
        if not self._any.search(plain):
            return []
        return [m for rule in self.rules if (m := rule.find(plain))]

    def first(self, text: str) -> Match | None:
        plain = normalise(text)
        if not self._any.search(plain):
            return None
        return next((m for rule in self.rules if (m := rule.find(plain))), None)


def normalise(text: str) -> str:
    """Lower case, accents and invisible characters removed, compatibility forms folded."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_INVISIBLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _compile(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


def _letter(c: str, gap: str) -> str:
    """One letter, its look-alikes, repeated ("kiiill", "k.i.l.l" for the doubled l) through `gap`."""
    cls = "[" + re2.escape(c + _LOOKALIKES.get(c, "")) + "]"
    return f"{cls}(?:{gap}{cls})*"


def _word_regex(word: str) -> str:
    """A word in its compact form ("k1ll", "k.i.l.l", "kiiill") or, if long enough, spaced ("k i l l")."""
    letters, previous = [], None
    for c in normalise(word):
        if c != previous:  # repeated letters collapse: "kill" also matches "kil" and "kiiiill"
            letters.append(c)
        previous = c
    if not letters[0].isalnum():
        raise ValueError("starts with a letter or digit")
    compact = _INNER.join(_letter(c, _INNER) if c.isalnum() else _other(c) for c in letters)
    if len(word) < 3:
        return f"(?:{compact})"
    spaced = _SPACED.join(_letter(c, _SPACED) for c in letters if c.isalnum())
    return f"(?:{compact}|{spaced})"


def _other(c: str) -> str:
    return "['’]?" if c in "'’" else re2.escape(c)


def _term_regex(term: str) -> Any:
    return _compile(_EDGE_BEFORE + _word_regex(term) + _EDGE_AFTER)


def _phrase_regex(phrase: str) -> Any:
    return _compile(_EDGE_BEFORE + _GAP.join(_word_regex(w) for w in phrase.split()) + _EDGE_AFTER)


def parse_rules(data: dict[str, Any], source: str = "rules") -> Detector:
    """Build a detector from parsed rules data; every problem names the rule and the field."""
    tables = data.get("rules")
    if not isinstance(tables, dict) or not tables:
        raise _error(source, "needs at least one [rules.<id>] table")
    return Detector([_parse_rule(source, rule_id, table) for rule_id, table in tables.items()], source)


def _parse_rule(source: str, rule_id: str, table: Any) -> Rule:
    where = f"rules.{rule_id}"
    if not _RULE_ID.match(rule_id):
        raise _error(source, f"{where}: a rule id is 2-61 lower-case letters, digits or _")
    if not isinstance(table, dict):
        raise _error(source, f"{where}: must be a table")
    if unknown := sorted(set(table) - _RULE_KEYS):
        raise _error(source, f"{where}: unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(_RULE_KEYS))}")
    category, strand = table.get("category"), table.get("strand")
    if category not in CATEGORIES:
        raise _error(source, f"{where}.category: must be one of {', '.join(CATEGORIES)}")
    if category == "hate_crime" and strand not in STRANDS:
        raise _error(
            source,
            f"{where}.strand: a hate_crime rule needs a strand: one of {', '.join(STRANDS)}"
            + (f" (not {strand!r})" if strand is not None else ""),
        )
    if category != "hate_crime" and strand is not None:
        raise _error(source, f"{where}.strand: only hate_crime rules have a strand")
    checks = []
    for key, build in (("terms", _term_regex), ("phrases", _phrase_regex)):
        for n, item in enumerate(_strings(source, where, table, key)):
            if key == "terms" and len(item.split()) != 1:
                raise _error(source, f"{where}.{key}[{n}]: {item!r} has several words; put it in phrases")
            try:
                checks.append((build(item), item))
            except ValueError as exc:
                raise _error(source, f"{where}.{key}[{n}]: {item!r} {exc}") from None
    for n, item in enumerate(_strings(source, where, table, "patterns")):
        try:
            _compile(item)  # alone first: wrapped, an unbalanced ")(" would pass
            checks.append((_compile(f"(?i:{item})"), item))
        except re2.error as exc:
            reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise _error(source, f"{where}.patterns[{n}]: invalid regular expression {item!r}: {reason}") from None
    if not checks:
        raise _error(source, f"{where}: needs at least one of terms, phrases or patterns")
    description = table.get("description", "")
    if not isinstance(description, str):
        raise _error(source, f"{where}.description: must be text")
    return Rule(rule_id, category, strand, description, tuple(checks))


def _strings(source: str, where: str, table: dict[str, Any], key: str) -> list[str]:
    items = table.get(key, [])
    if not isinstance(items, list):
        raise _error(source, f"{where}.{key}: must be a list of text")
    for n, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise _error(source, f"{where}.{key}[{n}]: must be non-empty text")
    return [i.strip() for i in items]


def _error(source: str, message: str) -> ValidationError:
    return ValidationError({"detector_rules": f"{source}: {message}"})


def load_rules(path: Path) -> Detector:
    """Read and validate a TOML rules file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _error(str(path), f"cannot read the rules: {exc}") from exc
    return parse_rules(data, str(path))


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> Detector:
    return load_rules(Path(path))


def configured_detector(env: Mapping[str, str] | None = None) -> Detector:
    """The rules named by CASEWORK_DETECTOR_RULES, else the shipped defaults; reloaded when the file changes."""
    source: Mapping[str, str] = os.environ if env is None else env
    path = Path(source.get("CASEWORK_DETECTOR_RULES") or DEFAULT_RULES)
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise _error(str(path), f"cannot read the rules: {exc}") from exc
    return _cached(str(path), mtime)
