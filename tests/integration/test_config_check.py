"""Configuration fails at start-up, not later: `casework config check` lists every problem (exit 3)."""

import pytest
from click.testing import CliRunner

from casework.bootstrap import bootstrap
from casework.config import ForceConfig, Settings
from casework.entrypoints.cli import main
from casework.errors import ValidationError
from notifications.config import NotifySettings
from tests.conftest import TEST_SECRET_KEY

GOOD = """
[forces.warwickshire]
name = "Warwickshire Police"
prefix = "WK"

[forces.west_mercia]
name = "West Mercia Police"
prefix = "WM"
"""


def run(database_url, *args, **env):
    return CliRunner().invoke(main, ["--db", database_url, *args], env=env)


def forces_file(tmp_path, text):
    path = tmp_path / "forces.toml"
    path.write_text(text)
    return str(path)


def test_a_sound_configuration_passes(sqlite_url, tmp_path):
    ran = run(sqlite_url, "config", "check", CASEWORK_FORCES_FILE=forces_file(tmp_path, GOOD))
    assert ran.exit_code == 0 and "configuration ok" in ran.output


def test_every_problem_is_listed_at_once_with_exit_3(sqlite_url, tmp_path):
    bad = GOOD.replace(
        'prefix = "WM"',
        'prefix = "WM"\nretention = { dismissed = -3, shredded = 2 }\n'
        "[forces.west_mercia.sla.comms_action]\ntarget_hours = 0",
    )
    ran = run(
        sqlite_url,
        "config",
        "check",
        CASEWORK_FORCES_FILE=forces_file(tmp_path, bad),
        CASEWORK_SMTP_TIMEOUT="-1",
        CASEWORK_SLA_SWEEP_SECONDS="0",
    )
    assert ran.exit_code == 3
    for where in (
        "forces.west_mercia.retention.dismissed: a whole number of years from 1 to 100, not -3",
        "forces.west_mercia.retention.shredded: unknown outcome",
        "forces.west_mercia.sla.comms_action.target_hours",
        "CASEWORK_SMTP_TIMEOUT: a number of seconds above 0",
        "CASEWORK_SLA_SWEEP_SECONDS",
    ):
        assert where in ran.output
    assert "5 configuration problem(s)" in ran.output


@pytest.mark.parametrize(
    "table,field,problem",
    [
        ('name = ""\nprefix = "WM"', "name", "required text"),
        ('name = "West Mercia Police"\nprefix = "wm"', "prefix", "2-4 capital letters"),
        ('name = "West Mercia Police"\nprefix = "WK"', "prefix", "WK is used by forces.warwickshire too"),
        ('name = "West Mercia Police"\nprefix = "WM"\nnchi_enabled = "no"', "nchi_enabled", "true or false"),
    ],
)
def test_each_bad_field_of_the_forces_file_is_named_with_its_file_and_force(
    sqlite_url, tmp_path, table, field, problem
):
    path = forces_file(tmp_path, GOOD.split("[forces.west_mercia]")[0] + "[forces.west_mercia]\n" + table)
    for command in (["config", "check"], ["cases", "list", "--as", "nobody"]):
        ran = run(sqlite_url, *command, CASEWORK_FORCES_FILE=path)
        assert ran.exit_code == 3, ran.output
        assert f"{path}: forces.west_mercia.{field}: {problem}" in ran.output


def test_a_bad_force_code_and_a_broken_file_are_named(sqlite_url, tmp_path):
    ran = run(sqlite_url, "config", "check", CASEWORK_FORCES_FILE=forces_file(tmp_path, '[forces.West]\nname="W"\n'))
    assert ran.exit_code == 3 and "forces.West: the code must be" in ran.output and "forces.West.prefix" in ran.output
    ran = run(sqlite_url, "config", "check", CASEWORK_FORCES_FILE=forces_file(tmp_path, "[forces"))
    assert ran.exit_code == 3 and "forces.toml" in ran.output


def test_a_force_with_cases_missing_from_the_forces_file_is_a_problem(cw, make, tmp_path):
    make.case(force="west_mercia")
    only_warwickshire = forces_file(tmp_path, GOOD.split("[forces.west_mercia]")[0])
    ran = run(cw.settings.database_url, "config", "check", CASEWORK_FORCES_FILE=only_warwickshire)
    assert ran.exit_code == 3 and "forces.west_mercia: has cases in the database" in ran.output


def test_bad_retention_rules_refuse_start_up_not_the_first_close(sqlite_url):
    forces = {"wk": ForceConfig("wk", "Warwickshire Police", "WK", extra={"retention": {"dismissed": -3}})}
    with pytest.raises(ValidationError) as refused:
        bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url, forces=forces))
    assert refused.value.errors == {"forces.wk.retention.dismissed": "a whole number of years from 1 to 100, not -3"}


@pytest.mark.parametrize("timeout", ["-1", "0", "nan", "100000"])
def test_an_smtp_timeout_that_cannot_work_is_refused_when_read(timeout):
    with pytest.raises(ValidationError) as refused:
        NotifySettings.from_env({"CASEWORK_SMTP_TIMEOUT": timeout})
    assert "CASEWORK_SMTP_TIMEOUT" in refused.value.errors


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
def test_serve_and_worker_refuse_to_start_on_a_bad_configuration(sqlite_url, command):
    ran = run(sqlite_url, *command, CASEWORK_SMTP_TIMEOUT="-1")
    assert ran.exit_code == 3
    assert "not starting: 1 configuration problem(s)" in ran.output and "CASEWORK_SMTP_TIMEOUT" in ran.output
