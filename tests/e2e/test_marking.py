"""The protective marking: configurable per force (default OFFICIAL-SENSITIVE), at the top and foot of every
page and print, the force's own on its cases."""

from dataclasses import replace

import pytest

from casework.bootstrap import bootstrap
from casework.config import DEFAULT_FORCES, Settings, load_forces
from casework.errors import ValidationError
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.session_support import sign_in_client
from tests.factories import Factory
from web import create_app

SECRET = "OFFICIAL-SENSITIVE PERSONAL"


@pytest.fixture
def marked(sqlite_url, clock):
    forces = {**DEFAULT_FORCES, "west_mercia": replace(DEFAULT_FORCES["west_mercia"], marking=SECRET)}
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url, forces=forces), clock=clock)
    yield cw
    cw.engine.dispose()


def _client(cw, username):
    client = create_app({"CASEWORK": cw, "TESTING": True}).test_client()
    sign_in_client(client, username)
    return client


def test_each_page_and_print_carries_its_forces_marking_top_and_foot(marked):
    make = Factory(marked)
    wk, wm = make.case(force="warwickshire"), make.case(force="west_mercia")
    make.user("both.auditor", ["auditor"], ["warwickshire", "west_mercia"])
    client = _client(marked, "both.auditor")
    for path, marking in (
        (f"/cases/{wk}", "OFFICIAL-SENSITIVE"),
        (f"/cases/{wm}", SECRET),
        (f"/audit/cases/{wm}/print", SECRET),
        ("/queue", f"OFFICIAL-SENSITIVE / {SECRET}"),
    ):
        page = client.get(path).get_data(as_text=True)
        assert f'aria-label="Protective marking">{marking}</aside>' in page, path
        assert f"Protective marking: </span>{marking}</footer>" in page, path


def test_the_sign_in_page_shows_the_default_marking(marked):
    page = create_app({"CASEWORK": marked, "TESTING": True}).test_client().get("/login").get_data(as_text=True)
    assert 'aria-label="Protective marking">OFFICIAL-SENSITIVE</aside>' in page


def test_a_forces_file_sets_the_marking_and_refuses_a_malformed_one(tmp_path):
    good = tmp_path / "forces.toml"
    good.write_text('[forces.kent]\nname = "Kent Police"\nprefix = "KE"\nmarking = "OFFICIAL"\n')
    assert load_forces(good)["kent"].marking == "OFFICIAL"
    good.write_text('[forces.kent]\nname = "Kent Police"\nprefix = "KE"\n')
    assert load_forces(good)["kent"].marking == "OFFICIAL-SENSITIVE"
    good.write_text('[forces.kent]\nname = "Kent Police"\nprefix = "KE"\nmarking = "<b>secret</b>"\n')
    with pytest.raises(ValidationError, match="marking"):
        load_forces(good)
