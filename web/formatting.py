"""Template filters: times in Europe/London, and relative times in words."""

from __future__ import annotations

from datetime import datetime

from casework.clock import london


def london_time(value: datetime | None, fmt: str = "%d %b %Y %H:%M %Z") -> str:
    return london(value).strftime(fmt) if value else "—"


def relative(seconds: float) -> str:
    """'3 h 20 min' style wording for a duration in seconds (sign ignored)."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
