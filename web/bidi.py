"""User text cannot reorder the page around it (a U+202E in a name reversed the text after it).

Every value a template shows passes `isolate` (the Jinja `finalize` hook), so no page can forget it.
A value holding bidirectional controls is wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE,
the characters `<bdi>` stands for (UAX #9): an isolate ends every embedding and override opened
inside it. Stray closing isolates in the value are dropped and open ones closed, so the value cannot
close the wrapper early or keep it open. Values without such controls are shown untouched.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

FSI, PDI = "\u2068", "\u2069"
_OPENERS = "\u2066\u2067\u2068"  # LRI, RLI, FSI
_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def isolate(value: Any) -> Any:
    if not isinstance(value, str) or not _CONTROLS.search(value):
        return value
    balanced, depth = [], 0
    for c in value:
        if c in _OPENERS:
            depth += 1
        elif c == PDI:
            if not depth:
                continue  # would close the wrapper early
            depth -= 1
        balanced.append(c)
    inner = "".join(balanced) + PDI * depth
    if isinstance(value, Markup):
        return Markup(FSI + inner + PDI)  # already safe HTML; the added characters need no escaping
    return FSI + inner + PDI
