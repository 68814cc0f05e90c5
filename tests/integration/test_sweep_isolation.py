"""One bad force never stops the SLA sweep of the others, and the sweep says loudly which it skipped."""

import logging

from click.testing import CliRunner

from casework.bootstrap import bootstrap
from casework.config import DEFAULT_FORCES, Settings
from casework.entrypoints.cli import main
from casework.sla.sweep import sweep
from tests.conftest import TEST_SECRET_KEY
from tests.integration.sla_helpers import sla_events


def without_west_mercia(database_url, clock):
    forces = {"warwickshire": DEFAULT_FORCES["warwickshire"]}
    return bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=database_url, forces=forces), clock=clock)


def test_a_force_removed_from_the_forces_file_is_skipped_and_the_others_still_swept(
    cw, make, clock, database_url, caplog
):
    kept, orphaned = make.case(force="warwickshire"), make.case(force="west_mercia")
    clock.advance(hours=2)
    narrowed = without_west_mercia(database_url, clock)
    try:
        with caplog.at_level(logging.ERROR, logger="casework.sla.sweep"):
            result = sweep(narrowed)
    finally:
        narrowed.engine.dispose()
    assert {m.clock for m in result.marks} == {"review_started"} and len(result.breaches) == 1
    assert [e.action for e in sla_events(cw, kept)] == ["sla_warning", "sla_breach"]
    assert sla_events(cw, orphaned) == []
    assert list(result.skipped_forces) == ["west_mercia"]
    assert any("SKIPPED force 'west_mercia'" in r.getMessage() for r in caplog.records)


def test_a_force_whose_sweep_fails_does_not_stop_the_others(cw, make, clock, monkeypatch):
    kept, failing = make.case(force="warwickshire"), make.case(force="west_mercia")
    clock.advance(hours=2)
    from casework.sla import marks

    real = marks.announce

    def announce_failing_for_west_mercia(uow, cw_, made, cases, now, noticed, stages=None):
        if any(c.force == "west_mercia" for c in cases.values()):
            raise RuntimeError("template for west_mercia is broken")
        return real(uow, cw_, made, cases, now, noticed, stages)

    monkeypatch.setattr(marks, "announce", announce_failing_for_west_mercia)
    result = sweep(cw)
    assert result.skipped_forces == {"west_mercia": "RuntimeError: template for west_mercia is broken"}
    assert len(sla_events(cw, kept)) == 2 and sla_events(cw, failing) == []


def test_the_cli_sweep_names_the_skipped_force_and_exits_3(cw, make, clock, tmp_path, monkeypatch):
    make.case(force="west_mercia")
    clock.advance(hours=2)
    forces = tmp_path / "forces.toml"
    forces.write_text('[forces.warwickshire]\nname = "Warwickshire Police"\nprefix = "WK"\n')
    monkeypatch.setenv("CASEWORK_FORCES_FILE", str(forces))
    ran = CliRunner().invoke(main, ["--db", cw.settings.database_url, "sla", "sweep"])
    assert ran.exit_code == 3
    assert "force west_mercia was NOT swept" in ran.output
