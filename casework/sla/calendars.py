"""Calendars for SLA targets: round the clock, or office hours in Europe/London without bank holidays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol

import holidays

from casework.clock import LONDON, ensure_utc

OPEN, CLOSE = time(8, 0), time(18, 0)
WORKING_DAY = timedelta(hours=10)  # 08:00-18:00: "2 working days" is 20 office hours
MAX_DAYS = 3 * 366  # no target is longer; stops a runaway loop on a bad input


class Calendar(Protocol):
    name: str

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of this calendar's time has passed after `start`."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """How much of this calendar's time lies between `start` and `end`."""


class RoundTheClock:
    """24x7: elapsed real time; UTC arithmetic, so summer time changes nothing."""

    name = "24x7"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return ensure_utc(start) + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(ensure_utc(end) - ensure_utc(start), timedelta(0))


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; `ENG` includes substitute ("observed") days.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


@lru_cache(maxsize=1024)
def _office_window(day: date) -> tuple[datetime, datetime] | None:
    """A working day's office window in UTC, or None; worked out once a day, not once a deadline."""
    if not is_working_day(day):
        return None
    # 08:00 and 18:00 never fall in a summer-time gap or fold (those are at 01:00-02:00).
    return datetime.combine(day, OPEN, LONDON).astimezone(UTC), datetime.combine(day, CLOSE, LONDON).astimezone(UTC)


class OfficeHours:
    """Mon-Fri 08:00-18:00 Europe/London, without England & Wales bank holidays."""

    name = "office_hours"

    def _windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office windows (UTC start, UTC end) from the local day of `start` onwards."""
        day = ensure_utc(start).astimezone(LONDON).date()
        for _ in range(MAX_DAYS):
            window = _office_window(day)
            if window is not None:
                yield window
            day += timedelta(days=1)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        start = ensure_utc(start)
        left = duration
        for opens, closes in self._windows(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if left <= closes - begin:
                # A deadline landing exactly on closing time stays there rather than moving to tomorrow.
                return begin + left
            left -= closes - begin
        raise ValueError(f"{duration} of office time does not end within {MAX_DAYS} days of {start}")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        start, end = ensure_utc(start), ensure_utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._windows(start):
            if opens >= end:
                return total
            total += max(min(closes, end) - max(opens, start), timedelta(0))
        raise ValueError(f"{start} to {end} spans more than {MAX_DAYS} days")


CALENDARS: dict[str, Calendar] = {c.name: c for c in (RoundTheClock(), OfficeHours())}


def calendar(name: str) -> Calendar:
    return CALENDARS[name]


def calendar_duration(name: str, target: timedelta) -> timedelta:
    """A declared target in the calendar's own time: on office hours each whole day is a working day."""
    if name == OfficeHours.name:
        return target.days * WORKING_DAY + (target - timedelta(days=target.days))
    return target
