"""Office-hours and round-the-clock calendars: weekends, bank holidays and both summer-time changes."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.clock import LONDON
from casework.sla.calendars import OfficeHours, RoundTheClock, calendar_duration, is_working_day

OFFICE = OfficeHours()
TWO_WORKING_DAYS = timedelta(hours=20)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    "start, due",
    [
        # within the week: Wednesday 10:00 -> Friday 10:00
        (local(2026, 11, 25, 10), local(2026, 11, 27, 10)),
        # before opening counts from 08:00; after closing from the next working morning
        (local(2026, 11, 25, 6), local(2026, 11, 26, 18)),
        (local(2026, 11, 25, 19), local(2026, 11, 27, 18)),
        # over a weekend: Friday 15:00 -> Tuesday 15:00
        (local(2026, 11, 27, 15), local(2026, 12, 1, 15)),
        # Saturday counts from Monday 08:00
        (local(2026, 11, 28, 12), local(2026, 12, 1, 18)),
        # Christmas 2026: Fri 25 and Boxing Day observed Mon 28 are bank holidays
        (local(2026, 12, 24, 15), local(2026, 12, 30, 15)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March, and summer time starts on the 28th
        (local(2027, 3, 25, 12), local(2027, 3, 31, 12)),
        # summer time starts Sunday 29 March 2026: Friday 16:00 GMT -> Tuesday 16:00 BST
        (local(2026, 3, 27, 16), local(2026, 3, 31, 16)),
        # summer time ends Sunday 25 October 2026: Friday 17:00 BST -> Tuesday 17:00 GMT
        (local(2026, 10, 23, 17), local(2026, 10, 27, 17)),
        # and Sunday 31 October 2027
        (local(2027, 10, 29, 9), local(2027, 11, 2, 9)),
    ],
)
def test_two_working_days_skip_nights_weekends_and_bank_holidays(start, due):
    assert OFFICE.add(start, TWO_WORKING_DAYS) == due
    assert OFFICE.elapsed(start, due) == TWO_WORKING_DAYS


def test_deadlines_are_returned_in_utc_and_keep_local_office_time_across_summer_time():
    due = OFFICE.add(local(2026, 3, 27, 16), TWO_WORKING_DAYS)
    assert due.tzinfo == UTC
    assert due == datetime(2026, 3, 31, 15, tzinfo=UTC)  # 16:00 BST


def test_a_deadline_on_closing_time_stays_on_that_day():
    assert OFFICE.add(local(2026, 11, 25, 8), timedelta(hours=10)) == local(2026, 11, 25, 18)


def test_the_warning_at_75_percent_is_measured_in_office_hours():
    start = local(2026, 11, 27, 15)  # Friday
    assert OFFICE.add(start, TWO_WORKING_DAYS * 0.75) == local(2026, 12, 1, 10)  # 15 h: 3 Fri, 10 Mon, 2 Tue


def test_bank_holidays_of_england_and_wales_are_not_working_days():
    assert not is_working_day(local(2026, 12, 28).date())  # Boxing Day (observed)
    assert not is_working_day(local(2027, 3, 29).date())  # Easter Monday
    assert not is_working_day(local(2026, 8, 31).date())  # summer bank holiday (England, not Scotland)
    assert is_working_day(local(2026, 11, 30).date())  # St Andrew's Day is Scottish only


def test_round_the_clock_time_is_real_elapsed_time_across_summer_time():
    start = local(2026, 3, 28, 12)  # the day before clocks go forward
    due = RoundTheClock().add(start, timedelta(hours=24))
    assert due - start == timedelta(hours=24)
    assert due.astimezone(LONDON).hour == 13  # the local clock shows 13:00 the next day


def test_declared_days_on_office_hours_are_working_days_of_ten_hours():
    assert calendar_duration("office_hours", timedelta(days=2)) == timedelta(hours=20)
    assert calendar_duration("24x7", timedelta(days=5)) == timedelta(days=5)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)),
    minutes=st.integers(min_value=0, max_value=60 * 80),
)
def test_office_time_added_is_office_time_elapsed(start, minutes):
    duration = timedelta(minutes=minutes)
    due = OFFICE.add(start, duration)
    assert due >= start
    assert OFFICE.elapsed(start, due) == duration
