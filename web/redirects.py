"""Where a browser may be sent after signing in: a path on this site only, never another host."""

from __future__ import annotations

import re

# A path on this site: one "/" then printable ASCII, no backslash (browsers read a backslash as "/"
# and drop tabs and newlines, so "/<backslash>x" or "/%09/x" would become "//x": another host).
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, else the queue."""
    if target and len(target) <= 2000 and _SAME_SITE_PATH.fullmatch(target):
        return target
    return "/queue"
