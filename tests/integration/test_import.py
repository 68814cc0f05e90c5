"""Bulk import: good lines become cases, bad lines are reported by number, a re-run creates nothing twice."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from casework.entrypoints.cli import main
from casework.intake import importer
from casework.intake.channels import load_channels
from casework.intake.detector import configured_detector
from casework.storage.tables import Case, CaseEvent, Comment
from tests.e2e.api_helpers import DATA, SAMPLES

THREAT = "I know where you live"


def good(n: int, **overrides) -> dict:
    line = {
        "force": "warwickshire",
        "platform": "facebook",
        "channel": "Force page",
        "external_id": f"c-{n}",
        "permalink": f"https://facebook.com/c-{n}",
        "text": f"comment {n} <b>hostile</b>",
        "reason": "race",
    }
    return {**line, **overrides}


def run(cw, make, path, fmt, force="warwickshire"):
    errors = []
    report = importer.import_file(
        cw,
        path,
        fmt,
        make.staff("admin", force),
        detector=configured_detector(),
        channels=load_channels(DATA / "channels.toml", cw.settings.forces),
        on_error=lambda n, reason: errors.append((n, reason)),
    )
    return report, errors


def count(cw, model=Case, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    with cw.reader() as uow:
        return uow.session.execute(query).scalar_one()


def test_a_mixed_file_imports_the_good_lines_and_reports_each_bad_one(cw, make, tmp_path):
    path = tmp_path / "flags.jsonl"
    lines = [
        json.dumps(good(1)),
        "{not json",
        json.dumps(good(2, permalink="ftp://x")),
        "",
        json.dumps(good(3, force="west_mercia")),
        json.dumps([1]),
        json.dumps(good(4)),
    ]
    path.write_text("\n".join(lines) + "\n")
    report, errors = run(cw, make, path, "jsonl")
    assert (report.created, report.failed) == (2, 4)
    assert [n for n, _ in errors] == [2, 3, 5, 6]
    assert "not valid JSON" in errors[0][1] and "permalink" in errors[1][1] and "west_mercia" in errors[2][1]
    assert count(cw) == 2


def test_a_rerun_creates_nothing_and_records_only_a_summary(cw, make, tmp_path):
    path = tmp_path / "flags.jsonl"
    path.write_text("".join(json.dumps(good(n)) + "\n" for n in range(5)))
    first, _ = run(cw, make, path, "jsonl")
    events = count(cw, CaseEvent)
    again, errors = run(cw, make, path, "jsonl")
    assert (first.created, again.created, again.already_present, errors) == (5, 0, 5, [])
    assert count(cw) == 5 and count(cw, CaseEvent) == events + 1
    assert count(cw, CaseEvent, action="reflagged") == 0 and count(cw, CaseEvent, action="import") == 2


def test_a_duplicate_line_in_one_file_is_one_case(cw, make, tmp_path):
    path = tmp_path / "flags.jsonl"
    path.write_text(json.dumps(good(1)) + "\n" + json.dumps(good(1)) + "\n")
    report, _ = run(cw, make, path, "jsonl")
    assert (report.created, report.already_present, count(cw, CaseEvent, action="reflagged")) == (1, 1, 0)


def test_csv_with_a_bom_quoted_newlines_and_bad_bytes(cw, make, tmp_path):
    path = tmp_path / "flags.csv"
    header = b"force,platform,channel,external_id,permalink,text,reason\r\n"
    rows = [
        b'warwickshire,x,@Warks,t-1,https://x.com/a/status/1,"first line\r\nsecond, with comma",race\r\n',
        b"warwickshire,x,@Warks,t-2,https://x.com/a/status/2,caf\xe9 latin-1 bytes,race\r\n",
        b'warwickshire,x,@Warks,t-3,https://x.com/a/status/3,"say ""hi""",religion\r\n',
        b"warwickshire,x,@Warks,t-4,https://x.com/a/status/4,too few\r\n",
    ]
    path.write_bytes(b"\xef\xbb\xbf" + header + b"".join(rows))
    report, errors = run(cw, make, path, "csv")
    assert report.created == 2
    assert errors == [(4, "not valid UTF-8"), (6, "6 cells; the header has 7")]
    with cw.reader() as uow:
        texts = dict(uow.session.execute(select(Case.external_id, Comment.text).join(Comment)).all())
    assert texts == {"t-1": "first line\r\nsecond, with comma", "t-3": 'say "hi"'}


def test_a_csv_with_unknown_columns_is_refused_before_anything_is_imported(cw, make, tmp_path):
    path = tmp_path / "flags.csv"
    path.write_text("force,platform,colour\nwarwickshire,x,red\n")
    with pytest.raises(Exception, match="unknown column"):
        run(cw, make, path, "csv")
    assert count(cw) == 0


def test_platform_lines_go_through_the_detector(cw, make, tmp_path, clock):
    clock.advance(hours=3)
    base = json.loads((SAMPLES / "youtube-comment-thread.json").read_text())

    def thread(n: int, text: str) -> str:
        item = json.loads(json.dumps(base))
        item["snippet"]["topLevelComment"]["id"] = f"yt-{n}"
        item["snippet"]["topLevelComment"]["snippet"]["textOriginal"] = text
        return json.dumps(item)

    path = tmp_path / "youtube.jsonl"
    path.write_text(
        "\n".join([thread(1, THREAT), thread(2, "Great work, thank you"), '{"kind": "nope"}', thread(3, "r3tard")])
        + "\n"
    )
    report, errors = run(cw, make, path, "youtube")
    assert (report.created, report.not_flagged, report.failed) == (0, 0, 4)  # wk.admin does not act for west_mercia
    report, errors = run(cw, make, path, "youtube", force="west_mercia")
    assert (report.created, report.not_flagged, report.failed) == (2, 1, 1)
    assert errors[0][0] == 3 and "kind" in errors[0][1]
    assert count(cw, Case, detected_by="detector:disability_slurs") == 1


def test_the_cli_reports_bad_lines_and_exits_non_zero(cw, make, tmp_path, database_url):
    make.staff("admin")
    path = tmp_path / "flags.jsonl"
    path.write_bytes(json.dumps(good(1)).encode() + b"\n\xff\xfe broken\n" + json.dumps(good(2)).encode() + b"\n")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", database_url, "import", str(path), "--as", "wa.admin"])
    assert result.exit_code == 3
    assert "flags.jsonl: line 2: not valid UTF-8" in result.stderr
    assert "3 records" not in result.output and "2 new cases" in result.output
    again = runner.invoke(main, ["--db", database_url, "import", str(path), "--as", "wa.admin"])
    assert "0 new cases, 2 already present" in again.output


def test_the_importer_reads_a_line_at_a_time(cw, make, tmp_path):
    path = tmp_path / "long.jsonl"
    with path.open("wb") as f:
        f.write(b'{"text": "' + b"x" * (importer.MAX_LINE + 10) + b'"}\n')
        f.write(json.dumps(good(1)).encode() + b"\n")
    report, errors = run(cw, make, path, "jsonl")
    assert report.created == 1 and errors == [(1, f"line longer than {importer.MAX_LINE} bytes")]


def test_a_broken_csv_quote_is_reported_and_the_next_record_still_imports(cw, make, tmp_path):
    path = tmp_path / "flags.csv"
    path.write_text(
        "force,platform,channel,external_id,permalink,text,reason\n"
        'warwickshire,x,@W,q-1,https://x.com/a/status/1,"bad "quote" here,race\n'
        "warwickshire,x,@W,q-2,https://x.com/a/status/2,fine,race\n"
    )
    report, errors = run(cw, make, path, "csv")
    assert [n for n, _ in errors] == [2] and "not valid CSV" in errors[0][1]
    assert report.created == 1
