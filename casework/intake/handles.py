"""Who wrote a comment, as one key per person: the same handle however it was disguised.

"author<U+200B>_one", "ＡＵＴＨＯＲ_one" and "author_one" are one author: default-ignorable characters
(zero-width spaces and joiners, soft hyphens, variation selectors, bidi controls) are removed and
the rest folded with NFKC and case folding, so course-of-conduct look-ups find them together.
"""

from __future__ import annotations

import unicodedata

import regex

_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}+")
KEY_LENGTH = 260  # the column's length


def author_key(platform: str, who: str | None) -> str | None:
    """`platform:handle`, folded; None when nothing identifying is left."""
    if who is None:
        return None
    folded = _IGNORABLE.sub("", unicodedata.normalize("NFKC", _IGNORABLE.sub("", who)).casefold()).strip()
    return f"{platform}:{folded}"[:KEY_LENGTH] if folded else None
