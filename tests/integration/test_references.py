"""References on PostgreSQL come from a sequence per force and year: unique, continuing the old counter."""

import pytest
from sqlalchemy import text

from casework.cases.references import sequence_name
from casework.intake import flags as intake
from tests.integration.test_races import run_together

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_url):
    return postgres_url


@pytest.fixture
def no_sequence_yet(cw):
    with cw.engine.begin() as connection:
        connection.execute(text(f"DROP SEQUENCE IF EXISTS {sequence_name('warwickshire', 2026)}"))


def test_the_first_intakes_of_a_year_create_one_sequence_between_them(cw, make, no_sequence_yet):
    admin = make.staff("admin")
    payloads = [make.flag_payload() for _ in range(8)]
    results = run_together(8, lambda i: intake.flag_comment(cw, admin, payloads[i]))
    assert sorted(r.case.reference for r in results) == [f"WK-2026-{n:06d}" for n in range(1, 9)]


def test_a_sequence_continues_after_the_numbers_the_counter_table_handed_out(cw, make, no_sequence_yet):
    with cw.engine.begin() as connection:
        connection.execute(text("INSERT INTO reference_counters (force, year, last) VALUES ('warwickshire', 2026, 41)"))
    assert intake.flag_comment(cw, make.staff("admin"), make.flag_payload()).case.reference == "WK-2026-000042"


def test_each_force_counts_on_its_own_and_a_truncated_table_starts_again(cw, make):
    assert make.case(force="warwickshire").endswith("-000001")
    assert make.case(force="west_mercia") == "WM-2026-000001"
    assert make.case(force="warwickshire") == "WK-2026-000002"


def test_a_force_code_that_is_no_identifier_is_refused():
    with pytest.raises(ValueError):
        sequence_name("wk; drop table cases", 2026)
