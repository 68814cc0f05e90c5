"""A force's forces-file switch `nchi_enabled = false` takes NCHI off its advice: UI, API and CLI alike."""

import re

import pytest
from click.testing import CliRunner

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.entrypoints.cli import main
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.api_helpers import Bearer
from tests.e2e.session_support import sign_in_client
from tests.factories import Factory
from web import create_app

FORCES = """
[forces.warwickshire]
name = "Warwickshire Police"
prefix = "WK"

[forces.west_mercia]
name = "West Mercia Police"
prefix = "WM"
nchi_enabled = false
"""
NCHI = {
    "outcome": "nchi_recorded",
    "incident_reference": "INC/1",
    "personal_data_threshold_met": "yes",
    "advice": "record as NCHI",
}


@pytest.fixture
def forces_file(tmp_path, monkeypatch):
    path = tmp_path / "forces.toml"
    path.write_text(FORCES)
    monkeypatch.setenv("CASEWORK_FORCES_FILE", str(path))  # read the way every entry point reads it
    return path


@pytest.fixture
def switched(database_url, clock, forces_file):
    runtime = bootstrap(Settings.from_env(database_url=database_url, secret_key=TEST_SECRET_KEY), clock=clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def client(switched):
    return create_app({"CASEWORK": switched, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()


def outcome_choices(client, ref):
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    form = re.search(r'<form[^>]*transitions/give_advice".*?</form>', page, re.S).group(0)
    return re.findall(r'name="outcome" value="(\w+)"', form)


def sign_in(client, username):
    sign_in_client(client, username)


def test_the_advice_form_offers_nchi_only_where_the_force_allows_it(switched, client):
    make = Factory(switched)
    wm, wk = make.case("crime_bureau_advice", force="west_mercia"), make.case("crime_bureau_advice")
    both = make.user("both.bureau", ["crime_bureau"], ["warwickshire", "west_mercia"])
    sign_in(client, both.username)
    assert "nchi_recorded" not in outcome_choices(client, wm)
    assert "nchi_recorded" in outcome_choices(client, wk)


def test_the_api_refuses_nchi_advice_in_a_force_that_switched_it_off(switched, client):
    make = Factory(switched)
    ref = make.case("crime_bureau_advice", force="west_mercia")
    body = {"trigger": "give_advice", "inputs": NCHI, "version": 3}
    response = client.post(
        f"/api/v1/cases/{ref}/transitions", json=body, headers=Bearer(switched, make)("bureau", "west_mercia")
    )
    assert response.status_code == 422
    assert "nchi_recorded" not in response.get_json()["errors"]["outcome"].split("one of: ")[1]
    case = client.get(f"/api/v1/cases/{ref}", headers=Bearer(switched, make)("bureau", "west_mercia")).get_json()
    [advice] = [t for t in case["available_triggers"] if t["trigger"] == "give_advice"]
    assert "nchi_recorded" not in advice["inputs"]["properties"]["outcome"]["enum"]


def test_the_cli_refuses_nchi_advice_in_a_force_that_switched_it_off(switched):
    make = Factory(switched)
    ref = make.case("crime_bureau_advice", force="west_mercia")
    bureau = make.staff("bureau", "west_mercia")
    sets = [a for k, v in NCHI.items() for a in ("--set", f"{k}={v}")]
    ran = CliRunner().invoke(
        main, ["--db", switched.settings.database_url, "transition", ref, "give_advice", "--as", bureau.username, *sets]
    )
    assert ran.exit_code == 3 and "Outcome must be one of: crime_recorded, no_crime, referred_elsewhere" in ran.output
