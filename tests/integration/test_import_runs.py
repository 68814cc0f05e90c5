"""Import under pressure: concurrent runs count right, an interrupted run keeps its summary, errors in order."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.entrypoints.cli import main
from casework.intake import importer
from casework.intake.channels import load_channels
from casework.intake.detector import configured_detector
from casework.storage.tables import CaseEvent
from tests.e2e.api_helpers import DATA
from tests.integration.test_import import count, good

LINES = 600  # three batches


def _import(cw, actor, path, **callbacks):
    return importer.import_file(
        cw,
        path,
        "jsonl",
        actor,
        detector=configured_detector(),
        channels=load_channels(DATA / "channels.toml", cw.settings.forces),
        on_error=callbacks.get("on_error", lambda n, r: None),
        on_bytes=callbacks.get("on_bytes", lambda n: None),
    )


def imports(cw) -> list[dict]:
    with cw.reader() as uow:
        return [e.data for e in uow.session.execute(select(CaseEvent).where(CaseEvent.action == "import")).scalars()]


def test_two_imports_of_one_file_at_once_count_every_case_once_and_write_no_reflags(cw, make, tmp_path):
    path = tmp_path / "flags.jsonl"
    path.write_text("".join(json.dumps(good(n)) + "\n" for n in range(LINES)))
    admin = make.staff("admin")
    reports, start = [], threading.Barrier(2)

    def one() -> None:
        start.wait()
        reports.append(_import(cw, admin, path))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.created for r in reports) == LINES == count(cw)
    assert all(r.created + r.already_present == LINES for r in reports)
    assert count(cw, CaseEvent, action="reflagged") == 0


def test_an_interrupted_import_still_records_what_it_did(cw, make, tmp_path):
    path = tmp_path / "flags.jsonl"
    path.write_text("".join(json.dumps(good(n)) + "\n" for n in range(LINES)))
    read = [0]

    def ctrl_c_halfway(n: int) -> None:
        read[0] += n
        if read[0] > path.stat().st_size // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(cw, make.staff("admin"), path, on_bytes=ctrl_c_halfway)
    [summary] = imports(cw)
    assert summary["interrupted"] == "KeyboardInterrupt"
    assert 0 < summary["created"] == count(cw) < LINES


def test_the_cli_prints_each_bad_line_once_on_one_line_in_line_order(cw, make, tmp_path, database_url):
    make.staff("admin")
    unknown = "f" * 39  # an unknown force is named back, with the known ones: a line of 120 columns
    lines = [json.dumps(good(n)) for n in range(450)]
    lines[3] = "{not json"  # found while reading
    lines[1] = json.dumps(good(1, force=unknown))  # found when its batch runs
    lines[250] = json.dumps(good(250, force="nowhere"))
    lines[201] = "[1]"
    path = tmp_path / "flags.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["--db", database_url, "import", str(path), "--as", "wa.admin"])
    assert result.exit_code == 3
    errors = [line for line in result.output.splitlines() if line.startswith("flags.jsonl: line ")]
    assert [int(line.split()[2].rstrip(":")) for line in errors] == [2, 4, 202, 251]
    assert unknown in errors[0] and "west_mercia" in errors[0]  # not wrapped at 80 columns
