"""Exports round-trip: the JSON parses back to the very events stored (codes and all), the CSV has every
event in words, with its digests and hashes verbatim."""

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner

from casework.audit import exports
from casework.cases import queries
from casework.entrypoints.cli import main
from casework.errors import PermissionDenied, ValidationError
from casework.storage import chain

WHY = {"recipient": "Crown Prosecution Service", "purpose": "charging decision"}


def stored(cw, make, ref):
    return [exports.event_record(e) for e in queries.history(cw, make.staff("auditor"), ref).events]


def body(export):
    return b"".join(export.chunks())


def test_a_case_export_in_json_parses_back_to_the_same_events(cw, make):
    ref = make.case("closed", text="<script>alert(1)</script> you lot")
    document = json.loads(body(exports.export_case(cw, make.staff("auditor"), ref, "json", **WHY)))
    [case] = document["cases"]
    assert case["reference"] == ref and case["comment"]["text"] == "<script>alert(1)</script> you lot"
    assert case["events"] == stored(cw, make, ref)  # the export's own disclosure event included
    assert case["events"][-1]["action"] == "exported"
    assert document["export"]["recipient"] == WHY["recipient"]


def test_an_exported_history_verifies_on_its_own(cw, make):
    """An auditor outside the system can re-hash the export: every field is there, as stored."""
    ref = make.case("closed")
    [case] = json.loads(body(exports.export_case(cw, make.staff("auditor"), ref, "json", **WHY)))["cases"]
    events = {e.seq: e for e in queries.history(cw, make.staff("auditor"), ref).events}
    for item in case["events"]:
        at = datetime.fromisoformat(item["at"].replace("Z", "+00:00"))
        assert at == events[item["seq"]].at and item["data"] == events[item["seq"]].data
        assert chain.digest(item["data"]) == item["data_digest"]
        assert (
            chain.event_hash(
                item["prev_hash"],
                item["seq"],
                events[item["seq"]].case_id,
                at,
                item["actor"],
                item["role"],
                item["action"],
                item["from_state"],
                item["to_state"],
                item["data_digest"],
            )
            == item["hash"]
        )


def test_a_case_export_in_csv_has_every_event_in_words(cw, make):
    ref = make.case("comms_action")
    text = body(exports.export_case(cw, make.staff("auditor"), ref, "csv", **WHY)).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = stored(cw, make, ref)
    assert [int(r["Event number"]) for r in rows] == [e["seq"] for e in expected]
    assert [(r["Data digest"], r["Hash"]) for r in rows] == [(e["data_digest"], e["hash"]) for e in expected]
    assert {r["Case reference"] for r in rows} == {ref} and {r["Force"] for r in rows} == {"Warwickshire Police"}
    referral = next(r for r in rows if r["To"] == "Crime Bureau advice")
    shown = (referral["Action"], referral["From"], referral["Role"])
    assert shown == ("Step taken", "Administrator review", "Channel administrator")
    assert "Step: Refer to Crime Bureau" in referral["Details"] and "Category: Hate crime" in referral["Details"]


def test_a_period_export_holds_every_case_detected_in_it_with_full_histories(cw, make, clock):
    before = make.case("closed")
    clock.advance(days=1)
    inside = [make.case(state) for state in ("detected", "admin_review", "closed")]
    make.case(force="west_mercia")
    clock.advance(days=1)
    make.case()
    day = (clock.now() - timedelta(days=1)).date()
    export = exports.export_period(cw, make.staff("auditor"), "warwickshire", day, day, "json", **WHY)
    document = json.loads(body(export))
    assert export.cases == 3 and [c["reference"] for c in document["cases"]] == inside
    assert document["export"]["protective_marking"] == "OFFICIAL-SENSITIVE"
    for case in document["cases"]:
        assert case["events"] == stored(cw, make, case["reference"])
    assert before not in {c["reference"] for c in document["cases"]}


def test_a_large_period_streams_in_batches(cw, make, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 2)
    refs = [make.case() for _ in range(5)]
    today = date(2026, 11, 25)
    export = exports.export_period(cw, make.staff("auditor"), "warwickshire", today, today, "csv", **WHY)
    chunks = list(export.chunks())
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert len(chunks) > 3 and sorted({r["Case reference"] for r in rows}) == refs
    assert len(rows) == sum(len(stored(cw, make, r)) for r in refs)


@pytest.mark.parametrize(
    "first,last,fmt,error",
    [(date(2026, 11, 2), date(2026, 11, 1), "json", "to"), (date(2026, 11, 1), date(2026, 11, 2), "xml", "format")],
)
def test_a_bad_period_or_format_is_refused(cw, make, first, last, fmt, error):
    with pytest.raises(ValidationError) as refused:
        exports.export_period(cw, make.staff("auditor"), "warwickshire", first, last, fmt, **WHY)
    assert error in refused.value.errors


def test_an_auditor_cannot_export_another_forces_period(cw, make):
    with pytest.raises(PermissionDenied):
        exports.export_period(
            cw, make.staff("auditor"), "west_mercia", date(2026, 11, 1), date(2026, 11, 30), "json", **WHY
        )


def test_the_cli_exports_to_a_file_and_logs_the_disclosure(cw, make, tmp_path):
    ref = make.case("closed")
    make.staff("auditor")
    out = tmp_path / "case.json"
    result = CliRunner().invoke(
        main,
        [
            "--db",
            cw.settings.database_url,
            "audit",
            "export",
            "--case",
            ref,
            "--format",
            "json",
            "--recipient",
            "CPS",
            "--purpose",
            "court bundle",
            "--out",
            str(out),
            "--as",
            "wa.auditor",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_bytes())["cases"][0]["events"] == stored(cw, make, ref)
    period = CliRunner().invoke(
        main,
        [
            "--db",
            cw.settings.database_url,
            "audit",
            "export",
            "--force",
            "warwickshire",
            "--from",
            "2026-11-25",
            "--to",
            "2026-11-25",
            "--format",
            "csv",
            "--recipient",
            "ICO",
            "--purpose",
            "audit",
            "--as",
            "wa.auditor",
        ],
    )
    assert period.exit_code == 0 and period.output.startswith("Protective marking,Case reference,Force,Event number")


def test_the_cli_needs_a_case_or_a_whole_period(cw, make):
    make.staff("auditor")
    result = CliRunner().invoke(
        main,
        [
            "--db",
            cw.settings.database_url,
            "audit",
            "export",
            "--force",
            "warwickshire",
            "--recipient",
            "ICO",
            "--purpose",
            "audit",
            "--as",
            "wa.auditor",
        ],
    )
    assert result.exit_code == 2 and "--case REF" in result.output
