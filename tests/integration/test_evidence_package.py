"""Evidence packages: one signed ZIP that `evidence verify` proves offline, naming each file that differs."""

from __future__ import annotations

import base64
import csv
import io
import os
import re
import stat
import zipfile

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.entrypoints.cli import main
from casework.errors import PermissionDenied, ValidationError
from casework.evidence import attachments, keys, package
from casework.evidence.verify import verify_package
from casework.labels import Labels
from casework.storage.tables import CaseEvent
from tests import evidence_files as files


@pytest.fixture
def signing(cw, evidence_key_file):
    keys.ensure_key(evidence_key_file)
    return evidence_key_file


@pytest.fixture
def case_with_exhibits(cw, make, signing):
    ref, admin = make.case("comms_action"), make.staff("admin")
    for data, name in ((files.png(), "shot.png"), (files.pdf(), "page.pdf"), (files.mp4(), "clip.mp4")):
        attachments.add_attachment(cw, admin, ref, io.BytesIO(data), filename=name, description=f"the {name}")
    return ref


def _package(cw, make, ref, tmp_path, who="auditor") -> str:
    out = tmp_path / "package.zip"
    with open(out, "wb") as stream:
        package.make_package(cw, make.staff(who), ref, "Crown Prosecution Service", "charging file", stream)
    return str(out)


def _rewrite(path: str, replace_with=None, drop=(), add=None) -> str:
    """A copy of the package with members replaced ({name: bytes}), dropped, or one added (name, bytes)."""
    target = path.replace(".zip", "-changed.zip")
    replace_with = replace_with or {}
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for name in source.namelist():
            if name not in drop:
                out.writestr(name, replace_with.get(name, source.read(name)))
        if add:
            out.writestr(*add)
    return target


def _flip_last_byte(path: str, name: str) -> dict:
    data = zipfile.ZipFile(path).read(name)
    return {name: data[:-1] + bytes([data[-1] ^ 1])}


def _edit_manifest(path: str) -> dict:
    return {"manifest.json": zipfile.ZipFile(path).read("manifest.json").replace(b"charging file", b"charging filf")}


def test_a_package_holds_history_comment_exhibits_and_a_manifest_that_verifies(cw, make, case_with_exhibits, tmp_path):
    path = _package(cw, make, case_with_exhibits, tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        exhibits = archive.read("exhibits.csv").decode()
        history = orjson.loads(archive.read("case/history.json"))
    assert {"case/history.json", "case/history.html", "case/comment.json", "exhibits.csv"} <= names
    assert {"exhibits/WA-1.png", "exhibits/WA-2.pdf", "exhibits/WA-3.mp4", "manifest.json", "manifest.sig"} <= names
    assert "WA/1" in exhibits and "the shot.png" in exhibits
    assert history["events"][-1]["action"] == "exported"
    check = verify_package(path, keys.public_text(keys.load_key(cw.settings.evidence_key_file).public_key()))
    assert check.ok, check.problems
    assert check.files == 7


def test_making_a_package_is_a_disclosure_with_recipient_and_purpose(cw, make, case_with_exhibits, tmp_path):
    _package(cw, make, case_with_exhibits, tmp_path, who="bureau")
    with cw.reader() as uow:
        event = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "exported")).scalar_one()
    assert event.data["recipient"] == "Crown Prosecution Service" and event.data["purpose"] == "charging file"
    assert event.data["format"] == "evidence_package" and event.data["attachments"] == 3


@pytest.mark.parametrize("who", ["admin", "comms", "supervisor"])
def test_only_auditors_and_the_crime_bureau_make_packages(cw, make, case_with_exhibits, tmp_path, who):
    with pytest.raises(PermissionDenied):
        _package(cw, make, case_with_exhibits, tmp_path, who=who)


def test_a_package_needs_a_recipient_and_a_purpose(cw, make, case_with_exhibits):
    with pytest.raises(ValidationError):
        package.make_package(cw, make.staff("auditor"), case_with_exhibits, "", "x", io.BytesIO())


def test_verify_names_a_file_with_one_byte_changed(cw, make, case_with_exhibits, tmp_path):
    path = _package(cw, make, case_with_exhibits, tmp_path)
    check = verify_package(_rewrite(path, _flip_last_byte(path, "exhibits/WA-1.png")))
    assert check.problems == ["changed: exhibits/WA-1.png"]


def test_verify_names_an_added_file(cw, make, case_with_exhibits, tmp_path):
    path = _package(cw, make, case_with_exhibits, tmp_path)
    check = verify_package(_rewrite(path, add=("exhibits/WA-9.png", b"planted")))
    assert check.problems == ["added: exhibits/WA-9.png"]


def test_verify_names_a_removed_file(cw, make, case_with_exhibits, tmp_path):
    path = _package(cw, make, case_with_exhibits, tmp_path)
    check = verify_package(_rewrite(path, drop=("exhibits/WA-2.pdf",)))
    assert check.problems == ["missing: exhibits/WA-2.pdf"]


def test_verify_refuses_an_edited_manifest(cw, make, case_with_exhibits, tmp_path):
    path = _package(cw, make, case_with_exhibits, tmp_path)
    check = verify_package(_rewrite(path, _edit_manifest(path)))
    assert check.problems[0].startswith("changed: manifest.json (its signature does not verify")


def test_cli_package_verify_and_show_key(cw, make, case_with_exhibits, tmp_path, signing, monkeypatch):
    url = cw.settings.database_url
    runner = CliRunner()
    out = tmp_path / "cli.zip"
    auditor = make.staff("auditor").username
    made = runner.invoke(
        main,
        [
            "--db",
            url,
            "evidence",
            "package",
            case_with_exhibits,
            "--as",
            auditor,
            "--to",
            "CPS",
            "--purpose",
            "charging",
        ]
        + ["--out", str(out)],
    )
    assert made.exit_code == 0, made.output
    shown = runner.invoke(main, ["evidence", "verify", "--show-key"])
    public = shown.output.splitlines()[0]
    assert public == keys.public_text(keys.load_key(signing).public_key())
    good = runner.invoke(main, ["evidence", "verify", str(out), "--key", public])
    assert good.exit_code == 0 and "all 7 files match" in good.output
    bad = _rewrite(str(out), drop=("case/history.html",))
    refused = runner.invoke(main, ["evidence", "verify", bad, "--key", public])
    assert refused.exit_code == 1 and "missing: case/history.html" in refused.output


def test_a_package_re_signed_with_another_key_fails_against_the_producers_key(cw, make, case_with_exhibits, tmp_path):
    path = _package(cw, make, case_with_exhibits, tmp_path)
    producer = keys.public_text(keys.load_key(cw.settings.evidence_key_file).public_key())
    forger_path, _ = keys.ensure_key(tmp_path / "forger.key")
    forger = keys.load_key(forger_path)
    manifest = orjson.loads(zipfile.ZipFile(path).read("manifest.json"))
    manifest["public_key"] = keys.public_text(forger.public_key())
    signed = orjson.dumps(manifest)
    forged = _rewrite(path, {"manifest.json": signed, "manifest.sig": base64.b64encode(forger.sign(signed))})
    assert verify_package(forged).ok  # self-consistent with the key inside it...
    assert not verify_package(forged, producer).ok  # ...but not with the producer's


def test_init_makes_the_signing_key_readable_by_its_owner_only(tmp_path, evidence_key_file):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'k.db'}", "init"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(evidence_key_file).st_mode) == 0o600
    assert "created" in result.output
    again = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'k.db'}", "init"])
    assert "kept" in again.output


def test_the_printable_history_and_exhibit_list_speak_in_labels_and_carry_the_marking(
    cw, make, case_with_exhibits, tmp_path
):
    """A package is read by people too: its print and exhibit list use words, evidence stays verbatim."""
    path = _package(cw, make, case_with_exhibits, tmp_path)
    with zipfile.ZipFile(path) as archive:
        printed = re.sub(r"<[^>]+>", " ", archive.read("case/history.html").decode())
        exhibits = list(csv.reader(io.StringIO(archive.read("exhibits.csv").decode())))
        manifest = orjson.loads(archive.read("manifest.json"))
        history = orjson.loads(archive.read("case/history.json"))
    labels = Labels(cw.workflow, cw.settings.forces)
    codes = {c for c in labels.declared_codes() if "_" in c} | set(cw.settings.forces)
    assert {c for c in codes if re.search(rf"(?<![\w./@-]){re.escape(c)}(?![\w/-])", printed)} == set()
    assert labels(history["case"]["force"]) in printed and "Comms action" in printed
    assert history["case"]["evidence_digest"] in printed and history["case"]["external_id"] in printed
    assert history["case"]["state"] == "comms_action"  # the JSON, for machines, keeps the codes
    assert printed.count("OFFICIAL-SENSITIVE") >= 2  # at the top and the foot
    assert exhibits[0][:3] == ["Protective marking", "Exhibit", "Producer"]
    assert {row[0] for row in exhibits[1:]} == {"OFFICIAL-SENSITIVE"} and len(exhibits) == 4
    assert manifest["protective_marking"] == "OFFICIAL-SENSITIVE"


def test_exhibits_csv_keeps_a_hostile_description_as_text_in_a_spreadsheet(cw, make, signing, tmp_path):
    ref, admin = make.case("comms_action"), make.staff("admin")
    formula = '=HYPERLINK("http://evil.example","open")'
    attachments.add_attachment(cw, admin, ref, io.BytesIO(files.png()), filename="shot.png", description=formula)
    with zipfile.ZipFile(_package(cw, make, ref, tmp_path)) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("exhibits.csv").decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + formula in cells
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells if cell)
