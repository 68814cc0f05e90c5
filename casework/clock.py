"""Injectable clocks: production reads the system time, tests move time by hand."""

from __future__ import annotations

from datetime import UTC as UTC
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, always in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; for tests, demo data and catch-up."""

    def __init__(self, at: datetime):
        self._now = ensure_utc(at)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = ensure_utc(at)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def ensure_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; refuse naive ones rather than guess their zone."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone")
    return value.astimezone(UTC)


def london(value: datetime) -> datetime:
    """Show a stored UTC time in Europe/London."""
    return ensure_utc(value).astimezone(LONDON)
