"""The dashboard's tallies stay equal to a from-scratch GROUP BY whatever mix of actions runs."""

import random

from alembic import command
from sqlalchemy import func, select

from casework.cases import actions, stats, tallies
from casework.errors import CaseworkError
from casework.sla.sweep import sweep
from casework.storage.schema import alembic_config
from casework.storage.tables import Case
from tests.factories import ADVICE, CLOSE, REFER
from tests.integration.sla_helpers import scanned_compliance

FORCES = ("warwickshire", "west_mercia")
STEPS = {  # trigger: (who, inputs)
    "start_review": ("admin", {}),
    "dismiss": ("admin", {"note": "nothing in it"}),
    "refer": ("admin", REFER),
    "moderate": ("admin", {"note": "spam"}),
    "request_information": ("bureau", {"question": "which page?"}),
    "give_advice": ("bureau", ADVICE),
    "close": ("comms", CLOSE),
    "reopen": ("supervisor", {"reason": "new evidence"}),
}
OWNER = {"admin_review": "admin", "crime_bureau_advice": "bureau", "comms_action": "comms"}


def _differences(cw):
    with cw.engine.connect() as connection:
        return tallies.differences(connection)


def _random_mix(cw, make, clock, seed, steps=120):
    """Flags, every trigger, reassignments and SLA sweeps (warnings, breaches) in a random order."""
    rng = random.Random(seed)
    staff = {(kind, f): make.staff(kind, f) for kind in ("admin", "bureau", "comms", "supervisor") for f in FORCES}
    refs = []
    for _ in range(steps):
        clock.advance(minutes=rng.choice([5, 50, 200, 1500]))
        roll = rng.random()
        if roll < 0.15 or not refs:
            refs.append(make.case(rng.choice(["detected", "admin_review", "closed"]), force=rng.choice(FORCES)))
            continue
        if roll < 0.25:
            sweep(cw)
            continue
        ref = rng.choice(refs)
        force = FORCES[0] if ref.startswith("WK") else FORCES[1]
        try:
            if roll < 0.35:
                with cw.reader() as uow:
                    state = uow.session.execute(select(Case.state).where(Case.reference == ref)).scalar_one()
                who = staff[(OWNER.get(state, "admin"), force)]
                actions.assign(cw, staff[("supervisor", force)], ref, who.username if rng.random() < 0.7 else None)
            else:
                trigger = rng.choice(list(STEPS))
                who, inputs = STEPS[trigger]
                actions.apply_trigger(cw, staff[(who, force)], ref, trigger, inputs)
        except CaseworkError:
            continue  # a step the case's state or stage refuses: part of the mix


def test_tallies_equal_a_recount_after_a_random_mix(cw, make, clock):
    for seed in (1, 2, 3):
        _random_mix(cw, make, clock, seed)
        assert _differences(cw) == []
    with cw.engine.connect() as connection:
        kept_cases, kept_clocks = tallies.stored(connection)
    assert {r["state"] for r in kept_cases} >= {"closed", "admin_review"}
    assert {r["status"] for r in kept_clocks} == {"running", "overdue", "met", "breached"}


def test_the_dashboard_reads_what_a_scan_of_every_case_and_clock_says(cw, make, clock):
    _random_mix(cw, make, clock, seed=4)
    auditor = make.user("all.auditor", ["auditor"], FORCES)
    board = stats.dashboard(cw, auditor)
    with cw.reader() as uow:
        scanned = {
            (state, force): n
            for state, force, n in uow.session.execute(
                select(Case.state, Case.force, func.count()).group_by(Case.state, Case.force)
            )
        }
    assert board.by_state_force == scanned
    assert sum(n for _, n in board.open_ages) == sum(n for (s, _), n in scanned.items() if s != "closed")
    assert stats.compliance(cw, FORCES, clock.now()) == scanned_compliance(cw, FORCES, clock.now())


def test_a_reopen_takes_the_case_out_of_its_outcome(cw, make):
    ref = make.case("closed")
    assert stats.dashboard(cw, make.staff("supervisor")).outcomes == {"crime_recorded": 1}
    actions.apply_trigger(cw, make.staff("supervisor"), ref, "reopen", {"reason": "new evidence"})
    board = stats.dashboard(cw, make.staff("supervisor"))
    assert board.outcomes == {}
    assert board.by_state_force == {("admin_review", "warwickshire"): 1}


def test_the_migration_fills_the_tallies_from_existing_rows(cw, make, clock):
    _random_mix(cw, make, clock, seed=5, steps=60)
    config = alembic_config()
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
        command.upgrade(config, "heads")
    with cw.engine.connect() as connection:
        kept_cases, _ = tallies.stored(connection)
    assert sum(r["cases"] for r in kept_cases) > 0
    assert _differences(cw) == []


def test_the_cli_names_a_tally_that_drifted_and_repairs_it(cw, make):
    from click.testing import CliRunner

    from casework.entrypoints.cli import main

    make.case("closed")
    db = ["--db", cw.settings.database_url]
    assert CliRunner().invoke(main, [*db, "audit", "tallies"]).output.strip() == "tallies match a recount"
    with cw.engine.begin() as connection:
        connection.execute(tallies.case_tallies.update().values(cases=tallies.case_tallies.c.cases + 1))
    drifted = CliRunner().invoke(main, [*db, "audit", "tallies"])
    assert (
        drifted.exit_code == 1 and "case_tallies ('warwickshire', 'closed', 'crime_recorded'): kept 2" in drifted.output
    )
    repaired = CliRunner().invoke(main, [*db, "audit", "tallies", "--repair"])
    assert repaired.exit_code == 0 and _differences(cw) == []
