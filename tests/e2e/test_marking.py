"""The protective marking: configurable per force (default OFFICIAL-SENSITIVE), at the top and foot of every
page, print and e-mail, first in every e-mail subject, on every export; the force's own on its cases."""

import csv
import io
import re
from dataclasses import replace

import orjson
import pytest

from casework.audit import exports, list_export
from casework.bootstrap import bootstrap
from casework.cases import listing
from casework.config import DEFAULT_FORCES, Settings, load_forces
from casework.errors import ValidationError
from notifications.dispatch import dispatch_pending
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.session_support import sign_in_client
from tests.factories import Factory
from tests.notify_support import SmtpServer, Staff, free_port
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


def _visible(html: str) -> str:
    return " ".join(re.sub(r"<(head|style)[^>]*>.*?</\1>|<[^>]+>", " ", html, flags=re.S).split())


def test_a_forces_marking_heads_its_e_mails_top_and_foot(marked):
    Staff(marked).add("wm.bureau", "crime_bureau", force="west_mercia")
    Factory(marked).case("crime_bureau_advice", force="west_mercia")
    smtp = SmtpServer(free_port()).start()
    try:
        dispatch_pending(marked, settings=smtp.settings())
    finally:
        smtp.stop()
    assert smtp.messages
    for _, message in smtp.messages:
        assert message["Subject"].strip().startswith(f"[{SECRET}] ")
        lines = message.get_body(("plain",)).get_content().strip().splitlines()
        assert (lines[0], lines[-1]) == (SECRET, SECRET)
        shown = _visible(message.get_body(("html",)).get_content())
        assert shown.startswith(SECRET) and shown.endswith(SECRET)


def test_a_forces_marking_is_on_every_row_or_header_of_its_exports(marked):
    make = Factory(marked)
    ref = make.case("closed", force="west_mercia")
    auditor = make.user("wm.auditor", ["auditor"], ["west_mercia"])
    why = ("Crown Prosecution Service", "charging file")
    history = b"".join(exports.export_case(marked, auditor, ref, "csv", *why).chunks()).decode()
    assert {row["Protective marking"] for row in csv.DictReader(io.StringIO(history))} == {SECRET}
    document = orjson.loads(b"".join(exports.export_case(marked, auditor, ref, "json", *why).chunks()))
    assert document["export"]["protective_marking"] == SECRET
    _, lines = list_export.export_list(marked, auditor, listing.parse_query(marked, {}), *why)
    assert {row["Protective marking"] for row in csv.DictReader(io.StringIO("".join(lines)))} == {SECRET}
