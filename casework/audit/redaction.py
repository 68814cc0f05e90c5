"""What redaction removes: the author from every field that can name them, not only the author columns.

A permalink can carry the author's handle (X builds `https://x.com/{handle}/status/{id}`), and a
hand-flagged channel or reason can quote it. Each field that held personal data then reads "[redacted]".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

REDACTED = "[redacted]"
AUTHOR_FIELDS = ("author_id", "author_handle", "author_name")
CASE_TEXT_FIELDS = ("channel", "flag_reason")  # free text on the case row that may quote the author
_MIN_IDENTIFIER = 2  # a one-letter handle would blank every word containing it


def identifiers(values: Iterable[str | None]) -> list[str]:
    """The author's handle, name and id as they may appear elsewhere (longest first, @ and all)."""
    found = {v.strip() for v in values if v and v.strip() and v.strip() != REDACTED}
    found |= {v.lstrip("@") for v in found}
    found |= {"@" + v for v in found if not v.startswith("@")}
    return sorted((v for v in found if len(v) >= _MIN_IDENTIFIER), key=len, reverse=True)


def scrub(text: str | None, names: list[str]) -> str | None:
    """The text with every occurrence of the author's identifiers replaced (case-insensitive, linear)."""
    if not text or not names:
        return text
    pattern = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE)
    return pattern.sub(REDACTED, text)


def neutral_permalink(platform: str, external_id: str, permalink: str | None, names: list[str]) -> str | None:
    """A link to the comment that does not name its author (X has one for every post)."""
    if platform == "x" and external_id:
        return f"https://x.com/i/status/{quote(external_id, safe='')}"
    return scrub(permalink, names + [quote(n, safe="") for n in names if quote(n, safe="") != n])


def redacted_captured(
    captured: dict[str, Any], fields: tuple[str, ...], permalink: str | None, names: list[str]
) -> dict[str, Any]:
    """The captured payload with each redacted field and each mention of the author replaced."""
    out: dict[str, Any] = {}
    for key, value in (captured or {}).items():
        if key in fields:
            out[key] = REDACTED if value is not None else None
        elif key == "permalink":
            out[key] = permalink
        elif isinstance(value, str) and key != "external_id":
            out[key] = scrub(value, names)
        else:
            out[key] = value
    return out
