"""Page capture at intake: a queued row per new case, swept by the scheduler job into PNG, PDF and WARC
exhibits by system:capture, in real Chromium against a local HTTP server; failures recorded and retried."""

from __future__ import annotations

import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.evidence import attachments, capture
from casework.evidence.tables import Attachment, CaptureJob
from casework.intake import flags
from casework.storage.tables import CaseEvent
from tests.conftest import TEST_SECRET_KEY
from tests.factories import Factory
from tests.notify_support import free_port

COMMENT_PAGE = """<!doctype html><html><head><title>Force page</title><link rel="stylesheet" href="/style.css"></head>
<body><article id="c-1"><p class="author">author_one</p><p>hostile comment &amp; threat</p></article></body></html>"""

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path):
    """A local web server with one comment page and its stylesheet."""
    root = tmp_path / "site"
    (root / "comment").mkdir(parents=True)
    (root / "comment" / "1.html").write_text(COMMENT_PAGE)
    (root / "style.css").write_text("article { border: 4px solid #c00; padding: 2em; }")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def capturing(sqlite_url, clock, evidence_key_file):
    runtime = bootstrap(
        Settings(
            secret_key=TEST_SECRET_KEY, database_url=sqlite_url, evidence_key_file=str(evidence_key_file), capture=True
        ),
        clock=clock,
    )
    runtime.factory = Factory(runtime)
    yield runtime
    runtime.engine.dispose()


def _flag(cw, permalink):
    make = cw.factory
    return flags.flag_comment(cw, make.staff("admin"), make.flag_payload(permalink=permalink)).case


def test_a_new_case_page_is_captured_as_png_pdf_and_warc_by_system_capture(capturing, site):
    cw = capturing
    case = _flag(cw, f"{site}/comment/1.html")
    assert capture.status(cw, case.id).status == "pending"  # queued in the intake's transaction, not run there
    run = capture.sweep(cw)
    assert run.captured == [case.reference] and run.failed == []
    _, items = attachments.list_attachments(cw, cw.factory.staff("auditor"), case.reference)
    assert [(i.media_type, i.producer, i.exhibit) for i in items] == [
        ("image/png", "system:capture", "CAP/1"),
        ("application/pdf", "system:capture", "CAP/2"),
        ("application/warc", "system:capture", "CAP/3"),
    ]
    assert all(i.added_at == cw.now() for i in items)
    png, _, warc = (_bytes(cw, case.reference, i) for i in items)
    assert Image.open(io.BytesIO(png)).size[1] > 0
    records = _responses(warc)
    assert b"hostile comment &amp; threat" in records[f"{site}/comment/1.html"]
    assert b"border: 4px" in records[f"{site}/style.css"]
    assert capture.status(cw, case.id).status == "done"
    assert capture.sweep(cw).captured == []  # captured once


def test_a_failed_capture_is_recorded_retried_with_back_off_then_given_up(capturing, clock, monkeypatch):
    cw = capturing
    monkeypatch.setattr(capture, "MAX_ATTEMPTS", 2)
    case = _flag(cw, f"http://127.0.0.1:{free_port()}/gone")  # nothing listens there
    assert capture.sweep(cw).failed == [case.reference]
    job = capture.status(cw, case.id)
    assert (job.status, job.attempts, job.next_attempt_at) == ("pending", 1, clock.now() + capture.backoff(1))
    assert capture.sweep(cw).failed == []  # not due yet
    clock.advance(minutes=1)
    assert capture.sweep(cw).failed == [case.reference]
    job = capture.status(cw, case.id)
    assert (job.status, job.attempts) == ("failed", 2) and "ERR_CONNECTION_REFUSED" in job.last_error
    with cw.reader() as uow:
        events = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "capture_failed")).scalars().all()
        assert uow.session.execute(select(Attachment)).first() is None
    assert [(e.data["attempt"], e.data["final"]) for e in events] == [(1, False), (2, True)]


def test_capture_is_off_by_default(cw, make):
    ref = make.case()
    with cw.reader() as uow:
        assert uow.session.execute(select(CaptureJob)).first() is None
    assert capture.sweep(cw).captured == [] and ref


def test_the_capture_setting_reads_on_or_off():
    assert Settings.from_env({"CASEWORK_CAPTURE": "on"}).capture is True
    assert Settings.from_env({}).capture is False
    with pytest.raises(Exception, match="CASEWORK_CAPTURE"):
        Settings.from_env({"CASEWORK_CAPTURE": "maybe"})


def test_back_off_doubles(capturing):
    assert [capture.backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]


def _bytes(cw, ref, item):
    opened = attachments.open_attachment(cw, cw.factory.staff("auditor"), ref, item.id, "cli", "download")
    return b"".join(attachments.chunks(cw, opened))


def _responses(warc: bytes) -> dict[str, bytes]:
    """Each response record's body by its URL (read while iterating: the records share one stream)."""
    return {
        r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "response"
    }
