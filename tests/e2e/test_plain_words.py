"""No code reaches a person: every page, print, error page, CSV (headers and cells) and e-mail speaks in
labels, and evidence identifiers are shown verbatim and in full."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from casework.labels import EVENT_KINDS, REFUSALS, Labels
from tests.e2e.demo_world import CODE_LIKE_ID, World, build_world
from tests.e2e.session_support import sign_in_client
from web import create_app

SHOWN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class VisibleText(HTMLParser):
    """The text a person reads or hears: element text and the attributes assistive technology speaks."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    world = build_world(tmp_path_factory.mktemp("world"))
    yield world
    world.cw.engine.dispose()


@pytest.fixture(scope="module")
def app(world):
    return create_app({"CASEWORK": world.cw, "TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture(scope="module")
def codes(world) -> list[tuple[re.Pattern, str]]:
    """Each code a person must never read, and the machine-made wording of it ("Sla breach")."""
    labels = Labels(world.cw.workflow, world.cw.settings.forces)
    checked = {c for c in labels.declared_codes() | set(EVENT_KINDS) if "_" in c} | set(world.cw.settings.forces)
    found = []
    for code in sorted(checked):
        found.append((re.compile(rf"(?<![\w./@-]){re.escape(code)}(?![\w/-])"), code))
        humanised = code.replace("_", " ").capitalize()
        if " " in humanised and not any(humanised in labels(c) for c in checked):
            found.append((re.compile(rf"\b{re.escape(humanised)}\b"), humanised))
    found += [(re.compile(rf"\b{kind}\b"), kind) for kind in REFUSALS]  # "ValidationError"
    found += [(re.compile(r"\b1 (events|cases|notes)\b"), "1 events"), (re.compile(r"\bon x\b"), "on x")]
    return found


def codes_in(text: str, codes) -> set[str]:
    return {code for pattern, code in codes if pattern.search(text)}


def signed_in(app, username):
    client = app.test_client()
    sign_in_client(client, username)
    return client


def test_no_page_shows_a_code_to_any_demo_user(app, world, codes):
    leaks = {}
    for username in world.usernames:
        client = signed_in(app, username)
        for path in world.pages_for(username):
            response = client.get(path)
            assert response.status_code == 200, (username, path, response.status_code)
            if found := codes_in(visible(response.get_data(as_text=True)), codes):
                leaks[f"{username} {path}"] = sorted(found)
    assert leaks == {}


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("wk.bureau", "/flag", 403),
        ("wk.comms", "/audit", 403),
        ("wk.comms", "/audit/exports", 403),
        ("wm.admin", "/cases/{wk}", 404),  # another force's case answers as if unknown
        ("wk.admin", "/cases/WK-1999-000001", 404),
        ("wk.admin", "/cases/{wk}/transitions/refer", 405),
    ],
)
def test_error_pages_speak_in_labels(app, world, codes, username, path, status):
    response = signed_in(app, username).get(path.format(wk=world.odd_ref))
    assert response.status_code == status
    assert codes_in(visible(response.get_data(as_text=True)), codes) == set()


def test_an_evidence_id_shaped_like_a_code_is_shown_verbatim(app, world):
    client = signed_in(app, "wk.admin")
    for path in (f"/cases/{world.odd_ref}", f"/audit/cases/{world.odd_ref}"):
        text = visible(signed_in(app, "wk.bureau2").get(path).get_data(as_text=True))
        assert CODE_LIKE_ID in text and "Ux 123 456" not in text, path
    assert "https://facebook.com/123_456" in visible(client.get(f"/cases/{world.odd_ref}").get_data(as_text=True))


def test_prints_show_hashes_in_full(app, world):
    text = visible(signed_in(app, "auditor").get(f"/audit/cases/{world.odd_ref}/print").get_data(as_text=True))
    assert re.search(r"\b[0-9a-f]{64}\b", text) and "…" not in text


def test_every_e_mail_speaks_in_labels(world, codes):
    assert len(world.mails) > 20
    leaks = {}
    for message in world.mails:
        text = message.get_body(("plain",)).get_content()
        html = visible(message.get_body(("html",)).get_content())
        if found := codes_in(" ".join((message["Subject"], text, html)), codes):
            leaks[message["Subject"]] = sorted(found)
    assert leaks == {}


def _csv_downloads(app, world) -> dict[str, str]:
    """Every CSV a person can download: a case's and a period's audit export, and each user's /cases view."""
    signed_in(app, "wk.bureau2").get(f"/cases/{world.odd_ref}")  # a view by someone in two roles
    why = {"recipient": "CPS", "purpose": "file"}
    audit = {"format": "csv", **why}
    posts = [
        ("audit case", "auditor", "/audit/exports", {"scope": "case", "reference": world.odd_ref, **audit}),
        ("audit period", "auditor", "/audit/exports", {"scope": "period", "force": "warwickshire", **audit}),
    ]
    posts[1][3].update({"from": "2026-01-01", "to": "2026-12-31"})
    posts += [(f"{username} /cases", username, "/cases/export", why) for username in world.usernames]
    downloads = {}
    for name, username, path, form in posts:
        response = signed_in(app, username).post(path, data=form)
        assert response.status_code == 200 and response.mimetype == "text/csv", name
        downloads[name] = response.get_data(as_text=True)  # read now: the stream needs its request
    return downloads


def test_every_csv_cell_speaks_in_labels_and_keeps_evidence_verbatim(app, world, codes):
    downloads = _csv_downloads(app, world)
    leaks: dict[str, set[str]] = {}
    for name, text in downloads.items():
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) > 1, name
        for row in rows:
            for heading, cell in zip(rows[0], row, strict=True):
                if found := codes_in(cell, codes):
                    leaks.setdefault(f"{name}: {heading}", set()).update(found)
    assert leaks == {}
    audit = list(csv.DictReader(io.StringIO(downloads["audit period"])))
    assert any(CODE_LIKE_ID in r["Details"] for r in audit)  # the external id, verbatim in the flagged event
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["Hash"]) for r in audit)
    assert ": Non-crime hate incident under the personal-data threshold" in downloads["audit period"]
    cases = list(csv.DictReader(io.StringIO(downloads["wk.admin /cases"])))
    assert {r["Protective marking"] for r in cases} == {"OFFICIAL-SENSITIVE"}
    assert world.odd_ref in {r["Case reference"] for r in cases}


def test_the_disclosure_log_names_a_period_export_in_words(app, world, codes):
    # Seen by the page sweep above only when it ran after the CSV test's period export.
    form = {"scope": "period", "force": "warwickshire", "from": "2026-01-01", "to": "2026-12-31"}
    auditor = signed_in(app, "auditor")
    response = auditor.post("/audit/exports", data={**form, "format": "csv", "recipient": "CPS", "purpose": "file"})
    assert response.status_code == 200
    text = visible(auditor.get("/audit/disclosures?user=auditor").get_data(as_text=True))
    assert "Warwickshire" in text and codes_in(text, codes) == set()


def test_the_csv_export_header_uses_labels(app, world, codes):
    form = {"scope": "case", "reference": world.odd_ref, "format": "csv", "recipient": "CPS", "purpose": "file"}
    response = signed_in(app, "auditor").post("/audit/exports", data=form)
    assert response.status_code == 200
    header, first = response.get_data(as_text=True).splitlines()[:2]
    assert header.startswith("Protective marking,Case reference,") and codes_in(header, codes) == set()
    assert first.startswith("OFFICIAL-SENSITIVE,")


def test_the_flag_forms_error_summary_names_fields_as_their_labels(app):
    response = signed_in(app, "wk.admin").post("/flag", data={"force": "warwickshire", "platform": "facebook"})
    summary = visible(response.get_data(as_text=True).split('role="alert"', 1)[1].split("</ul>", 1)[0])
    assert response.status_code == 422
    for name in ("Comment id on the platform", "Link to the comment", "Comment text"):
        assert name in summary
    assert "External id" not in summary and "Permalink" not in summary
