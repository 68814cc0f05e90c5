"""Attachments: typed from their bytes, stored once per digest with an audit event each, refused cleanly."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from casework.errors import CaseNotFound, PermissionDenied
from casework.evidence import attachments
from casework.evidence.errors import IncompleteUpload, SuspectFile, TooLarge, UnsupportedType
from casework.evidence.tables import Attachment, EvidenceBlob, EvidenceChunk
from casework.storage.tables import CaseEvent
from tests import evidence_files as files


def _add(cw, actor, ref, data: bytes, name: str = "shot.png", **kwargs):
    return attachments.add_attachment(cw, actor, ref, io.BytesIO(data), filename=name, **kwargs)


def _count(cw, model) -> int:
    with cw.reader() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(
    ("maker", "name", "media_type"),
    [
        (files.png, "shot.png", "image/png"),
        (files.jpeg, "photo.jpg", "image/jpeg"),
        (lambda: files.image("WEBP"), "a.webp", "image/webp"),
        (lambda: files.image("GIF"), "a.gif", "image/gif"),
        (files.pdf, "page.pdf", "application/pdf"),
        (files.mp4, "clip.mp4", "video/mp4"),
        (files.png, "no-extension", "image/png"),
    ],
)
def test_each_kept_type_is_stored_as_received_with_its_digest_in_the_chain(cw, make, maker, name, media_type):
    ref, admin = make.case(), make.staff("admin")
    data = maker()
    item = _add(cw, admin, ref, data, name, description="before it was hidden")
    assert item.media_type == media_type and item.size == len(data)
    opened = attachments.open_attachment(cw, admin, ref, item.id, "cli", "download")
    assert b"".join(attachments.chunks(cw, opened)) == data
    with cw.reader() as uow:
        event = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "attachment_added")).scalar_one()
    assert event.actor == admin.username and event.data["description"] == "before it was hidden"
    assert event.data["sha256"] == item.sha256 and event.data["exhibit"] == item.exhibit


@pytest.mark.parametrize(
    ("data", "name", "declared", "error"),
    [
        (files.png(), "evidence.pdf", None, SuspectFile),  # a PNG renamed .pdf
        (files.html(), "shot.png", None, UnsupportedType),  # an HTML file named .png
        (files.svg(), "shot.svg", None, UnsupportedType),
        (files.executable(), "shot.png", None, UnsupportedType),
        (files.png(), "shot.png", "application/pdf", SuspectFile),  # the client's type disagrees
        (files.png_html_polyglot(), "shot.png", None, SuspectFile),
        (files.png_with_zip(), "shot.png", None, SuspectFile),
        (files.decompression_bomb(), "bomb.png", None, SuspectFile),
        (b"", "empty.png", None, SuspectFile),
        (files.mp4_with_box(b"free", b"<script>alert(1)</script>"), "clip.mp4", None, SuspectFile),
        (files.jpeg_with_comment(b"<html><script>alert(1)</script>"), "a.jpg", None, SuspectFile),
        (files.pdf_with_javascript(), "page.pdf", None, SuspectFile),
    ],
    ids=[
        "png-as-pdf",
        "html-as-png",
        "svg",
        "exe",
        "declared-mismatch",
        "polyglot",
        "png+zip",
        "bomb",
        "empty",
        "mp4-script-box",
        "jpeg-html-comment",
        "pdf-javascript",
    ],
)
def test_refused_uploads_leave_nothing_behind(cw, make, data, name, declared, error):
    ref = make.case()
    with pytest.raises(error):
        _add(cw, make.staff("admin"), ref, data, name, declared_type=declared)
    assert _count(cw, Attachment) == _count(cw, EvidenceBlob) == _count(cw, EvidenceChunk) == 0


def test_an_upload_over_the_size_cap_is_refused_as_too_large(cw, make):
    ref = make.case()
    cw.settings = replace(cw.settings, evidence_max_bytes=1024 * 1024)
    with pytest.raises(TooLarge, match="1 MB"):
        _add(cw, make.staff("admin"), ref, files.png() + bytes(2 * 1024 * 1024))
    assert _count(cw, EvidenceBlob) == 0


def test_an_upload_cut_off_mid_stream_stores_nothing(cw, make):
    ref, data = make.case(), files.png()
    with pytest.raises(IncompleteUpload):
        _add(cw, make.staff("admin"), ref, data[: len(data) // 2], expected_size=len(data))
    assert _count(cw, Attachment) == _count(cw, EvidenceBlob) == 0


def test_two_users_uploading_the_same_bytes_make_one_blob_and_two_events(cw, make):
    ref, data = make.case(), files.jpeg()
    first = _add(cw, make.staff("admin"), ref, data, "a.jpg")
    second = _add(cw, make.staff("comms"), ref, data, "b.jpg")
    assert first.sha256 == second.sha256 and first.id != second.id
    assert _count(cw, EvidenceBlob) == 1
    with cw.reader() as uow:
        events = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "attachment_added")).scalars().all()
    assert [e.actor for e in events] == [make.staff("admin").username, make.staff("comms").username]
    assert [e.data["new_blob"] for e in events] == [True, False]


def test_exhibit_references_number_each_producers_items(cw, make):
    ref = make.case()
    producer = make.user("jane", ["channel_admin"])
    refs = [_add(cw, producer, ref, files.png(color=c)).exhibit for c in ("red", "blue")]
    assert refs == ["J/1", "J/2"]


def test_auditors_and_other_forces_cannot_add(cw, make):
    ref = make.case()
    with pytest.raises(PermissionDenied):
        _add(cw, make.staff("auditor"), ref, files.png())
    with pytest.raises(CaseNotFound):  # another force's case is as if unknown
        _add(cw, make.staff("admin", "west_mercia"), ref, files.png())
    assert _count(cw, EvidenceBlob) == 0


def test_every_opening_is_a_consultation(cw, make):
    ref, admin = make.case(), make.staff("admin")
    item = _add(cw, admin, ref, files.png())
    auditor = make.staff("auditor")
    attachments.open_attachment(cw, auditor, ref, item.id, "web", "download")
    with cw.reader() as uow:
        viewed = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "viewed")).scalar_one()
    assert viewed.actor == auditor.username
    assert viewed.data == {
        "reference": ref,
        "via": "web",
        "attachment": item.id,
        "exhibit": item.exhibit,
        "sha256": item.sha256,
        "what": "download",
    }


def test_the_same_bytes_uploaded_at_the_same_moment_make_one_blob(cw, make):
    import threading

    ref, data = make.case(), files.pdf()
    people = [make.staff("admin"), make.staff("comms")]
    start, errors = threading.Barrier(2), []

    def upload(actor):
        start.wait()
        try:
            _add(cw, actor, ref, data, "page.pdf")
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(cw, EvidenceBlob) == 1 and _count(cw, Attachment) == 2 and _count(cw, EvidenceChunk) == 1


def test_the_cli_adds_and_lists_exhibits_and_refuses_with_exit_3(cw, make, tmp_path):
    from click.testing import CliRunner

    from casework.entrypoints.cli import main

    ref, admin = make.case(), make.staff("admin")
    good, bad = tmp_path / "shot.png", tmp_path / "page.png"
    good.write_bytes(files.png())
    bad.write_bytes(files.html())
    db = ["--db", cw.settings.database_url]
    added = CliRunner().invoke(main, [*db, "evidence", "add", ref, str(good), "--as", admin.username])
    assert added.exit_code == 0 and f"exhibit WA/1 on {ref}: image/png" in added.output
    refused = CliRunner().invoke(main, [*db, "evidence", "add", ref, str(bad), "--as", admin.username])
    assert refused.exit_code == 3 and "none of PNG, JPEG" in refused.output
    listed = CliRunner().invoke(main, [*db, "evidence", "list", ref, "--as", make.staff("auditor").username])
    assert listed.exit_code == 0 and listed.output.count("\n") == 1 and "WA/1\twa.admin" in listed.output


def test_marker_like_bytes_inside_compressed_media_data_are_not_mistaken_for_a_polyglot(cw, make):
    """Random media data holds `<svg ` by chance in a few per cent of large videos; the mdat box is skipped."""
    data = files.mp4_with_box(b"free", b"", in_media=b"<svg xmlns>")
    item = _add(cw, make.staff("admin"), make.case(), data, "clip.mp4")
    assert item.media_type == "video/mp4"
