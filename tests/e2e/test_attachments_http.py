"""Attachments over HTTP: the API (multipart and raw body), the case page, safe downloads and who may do what."""

from __future__ import annotations

import io
import socket
import threading
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.serving import make_server

from casework.evidence.tables import Attachment, EvidenceBlob
from casework.storage.tables import Case, CaseEvent
from tests import evidence_files as files
from tests.e2e.api_helpers import Bearer

KINDS = ("admin", "bureau", "comms", "supervisor", "auditor")


@pytest.fixture
def bearer(cw, make):
    return Bearer(cw, make)


def _post(client, ref, headers, data: bytes, name="shot.png", description="before it was hidden", **kwargs):
    body = {"file": (io.BytesIO(data), name), "description": description}
    return client.post(f"/api/v1/cases/{ref}/attachments", data=body, headers=headers, **kwargs)


def _multipart(data: bytes, name: str, **fields: str) -> tuple[bytes, str]:
    """A multipart body built by hand: the test client would spool a large one to a file it never closes."""
    boundary = "casework-test-boundary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    )
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'
    body = (parts + head).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post_multipart_bytes(client, ref, headers, data: bytes, name: str):
    body, content_type = _multipart(data, name)
    return client.post(f"/api/v1/cases/{ref}/attachments", data=body, headers={**headers, "Content-Type": content_type})


def _count(cw, model) -> int:
    with cw.reader() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_multipart_upload_then_list_then_download_with_safe_headers(client, make, bearer):
    ref, data = make.case(), files.png()
    created = _post(client, ref, bearer("admin"), data)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["media_type"] == "image/png" and item["exhibit"] == "WA/1" and len(item["sha256"]) == 64
    listed = client.get(f"/api/v1/cases/{ref}/attachments", headers=bearer("auditor")).get_json()
    assert [a["sha256"] for a in listed["attachments"]] == [item["sha256"]]
    got = client.get(created.headers["Location"], headers=bearer("auditor"))
    assert got.status_code == 200 and got.data == data
    assert got.headers["Content-Disposition"] == f'attachment; filename="{ref}_WA-1.png"'
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["Content-Type"] == "image/png"


def test_raw_body_upload_takes_the_name_from_the_query(client, make, bearer):
    ref = make.case()
    response = client.post(
        f"/api/v1/cases/{ref}/attachments?filename=page.pdf&description=printout",
        data=files.pdf(),
        headers={**bearer("comms"), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["media_type"] == "application/pdf"
    assert response.get_json()["description"] == "printout"


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [(files.html(), "shot.png", 415), (files.png(), "evidence.pdf", 422), (files.svg(), "x.svg", 415)],
    ids=["html-named-png", "png-renamed-pdf", "svg"],
)
def test_refusals_are_problem_json_with_a_clear_status(client, make, bearer, data, name, status):
    response = _post(client, make.case(), bearer("admin"), data, name)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert _count(client.application.extensions["casework"], Attachment) == 0


def test_a_26_mb_upload_is_refused_with_413(client, make, bearer):
    big = files.png() + bytes(26 * 1024 * 1024)
    ref = make.case()
    raw = client.post(
        f"/api/v1/cases/{ref}/attachments?filename=big.png",
        data=big,
        headers={**bearer("admin"), "Content-Type": "image/png"},
    )
    assert raw.status_code == 413
    assert _post_multipart_bytes(client, ref, bearer("admin"), big, "big.png").status_code == 413
    assert _count(client.application.extensions["casework"], EvidenceBlob) == 0


def test_the_size_cap_is_configurable(cw, client, make, bearer):
    cw.settings = replace(cw.settings, evidence_max_bytes=64 * 1024)
    response = _post(client, make.case(), bearer("admin"), files.png() + bytes(100 * 1024))
    assert response.status_code == 413


def test_an_upload_cut_off_mid_stream_stores_nothing(cw, app, make, bearer):
    ref, data = make.case(), files.png() + bytes(512 * 1024)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port)) as conn:
            head = (
                f"POST /api/v1/cases/{ref}/attachments?filename=shot.png HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: {bearer('admin')['Authorization']}\r\nContent-Type: image/png\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            )
            conn.sendall(head.encode() + data[: len(data) // 2])
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(10)
            answer = conn.recv(65536)
    finally:
        server.shutdown()
        thread.join()
    assert answer == b"" or b" 400 " in answer.split(b"\r\n", 1)[0]
    assert _count(cw, Attachment) == _count(cw, EvidenceBlob) == 0
    with cw.reader() as uow:
        assert uow.session.execute(select(CaseEvent).where(CaseEvent.action == "attachment_added")).first() is None


def test_the_case_page_shows_exhibits_and_serves_an_upright_thumbnail_only(client, auth, make, cw):
    ref = make.case()
    auth.as_actor(make.staff("admin"))
    sideways = files.jpeg(size=(60, 20), exif_orientation=6)  # camera held on its side: show rotated 90°
    response = client.post(
        f"/cases/{ref}/attachments",
        data={"file": (io.BytesIO(sideways), "phone.jpg"), "description": "screenshot <b>before</b> deletion"},
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    with cw.reader() as uow:
        item = uow.session.execute(select(Attachment)).scalar_one()
    assert item.sha256 in page and "WA/1" in page and "&lt;b&gt;before&lt;/b&gt;" in page
    thumb = client.get(f"/cases/{ref}/attachments/{item.id}/thumbnail")
    assert thumb.headers["Content-Type"] == "image/png" and thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(thumb.data)).size == (20, 60)
    original = client.get(f"/cases/{ref}/attachments/{item.id}")
    assert original.data == sideways  # the original keeps its orientation tag as evidence
    assert Image.open(io.BytesIO(original.data)).getexif()[0x0112] == 6


def test_a_refused_upload_on_the_case_page_says_why(client, auth, make):
    ref = make.case()
    auth.as_actor(make.staff("admin"))
    response = client.post(f"/cases/{ref}/attachments", data={"file": (io.BytesIO(files.html()), "x.png")})
    assert response.status_code == 303  # back to the case's own page, with the reason (post/redirect/get)
    assert "none of PNG, JPEG" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_every_download_and_thumbnail_is_a_consultation(client, auth, make, cw, bearer):
    ref = make.case()
    item = _post(client, ref, bearer("admin"), files.png()).get_json()
    auth.as_actor(make.staff("auditor"))
    client.get(f"/cases/{ref}/attachments/{item['id']}")
    client.get(f"/cases/{ref}/attachments/{item['id']}/thumbnail")
    with cw.reader() as uow:
        views = uow.session.execute(select(CaseEvent).where(CaseEvent.action == "viewed")).scalars().all()
    assert [(v.actor, v.data.get("what")) for v in views] == [("wa.auditor", "download"), ("wa.auditor", "thumbnail")]


# (route, expected status per kind) for a case of the user's own force
API_MATRIX = {
    "add": {"admin": 201, "bureau": 201, "comms": 201, "supervisor": 201, "auditor": 403},
    "list": dict.fromkeys(KINDS, 200),
    "download": dict.fromkeys(KINDS, 200),
}


def _api(client, route, ref, item_id, headers):
    if route == "add":
        return _post(client, ref, headers, files.png(color="blue"))
    if route == "list":
        return client.get(f"/api/v1/cases/{ref}/attachments", headers=headers)
    return client.get(f"/api/v1/cases/{ref}/attachments/{item_id}", headers=headers)


@pytest.mark.parametrize("force", ["warwickshire", "west_mercia"], ids=["own-force", "other-force"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("route", API_MATRIX)
def test_api_authorization_for_every_route_role_and_force(client, make, bearer, route, kind, force):
    ref = make.case()
    item = _post(client, ref, bearer("admin"), files.png()).get_json()
    response = _api(client, route, ref, item["id"], bearer(kind, force))
    expected = API_MATRIX[route][kind]
    if force != "warwickshire" and expected != 403:
        expected = 404  # another force's case answers as if unknown; a role refusal names no case
    assert response.status_code == expected, response.get_data(as_text=True)


WEB_MATRIX = {
    "upload": {"admin": 302, "bureau": 302, "comms": 302, "supervisor": 302, "auditor": 403},
    "download": dict.fromkeys(KINDS, 200),
    "thumbnail": dict.fromkeys(KINDS, 200),
    "package": {"admin": 403, "bureau": 200, "comms": 403, "supervisor": 403, "auditor": 200},
}


@pytest.mark.parametrize("force", ["warwickshire", "west_mercia"], ids=["own-force", "other-force"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("route", WEB_MATRIX)
def test_page_authorization_for_every_route_role_and_force(client, auth, make, bearer, cw, route, kind, force):
    from casework.evidence import keys

    keys.ensure_key(cw.settings.evidence_key_file)
    ref = make.case()
    item = _post(client, ref, bearer("admin"), files.png()).get_json()
    auth.as_actor(make.staff(kind, force))
    if route == "upload":
        response = client.post(f"/cases/{ref}/attachments", data={"file": (io.BytesIO(files.jpeg()), "a.jpg")})
    elif route == "package":
        response = client.post(f"/cases/{ref}/evidence-package", data={"recipient": "CPS", "purpose": "charging"})
    else:
        suffix = "/thumbnail" if route == "thumbnail" else ""
        response = client.get(f"/cases/{ref}/attachments/{item['id']}{suffix}")
    expected = WEB_MATRIX[route][kind]
    if force != "warwickshire" and expected != 403:
        expected = 404  # another force's case answers as if unknown; a role refusal names no case
    response.close()  # a package streams from a temporary file that closing removes
    assert response.status_code == expected, response.get_data(as_text=True)[:300]


FLAG_FORM = {
    "force": "warwickshire",
    "platform": "facebook",
    "channel": "Warwickshire Police",
    "external_id": "fb-777",
    "permalink": "https://facebook.com/warwickshirepolice/posts/1?c=777",
    "text": "hostile comment",
    "reason": "race",
}


def test_the_flag_form_attaches_a_screenshot_to_the_new_case(client, auth, make, cw):
    auth.as_actor(make.staff("admin"))
    shot = files.png()
    response = client.post(
        "/flag", data={**FLAG_FORM, "file": (io.BytesIO(shot), "screenshot.png"), "file_description": "as posted"}
    )
    assert response.status_code == 302
    ref = response.headers["Location"].rsplit("/", 1)[1]
    _, items = attachments_of(cw, make, ref)
    assert [(i.exhibit, i.description, i.size) for i in items] == [("WA/1", "as posted", len(shot))]


def test_a_bad_file_on_the_flag_form_opens_no_case(client, auth, make, cw):
    auth.as_actor(make.staff("admin"))
    response = client.post("/flag", data={**FLAG_FORM, "file": (io.BytesIO(files.html()), "screenshot.png")})
    assert response.status_code == 415
    page = response.get_data(as_text=True)
    assert "none of PNG, JPEG" in page and 'value="fb-777"' in page  # the form keeps what was typed
    with cw.reader() as uow:
        assert uow.session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_a_package_made_on_the_case_page_verifies(client, auth, make, cw, bearer, tmp_path):
    from casework.evidence import keys
    from casework.evidence.verify import verify_package

    keys.ensure_key(cw.settings.evidence_key_file)
    ref = make.case()
    _post(client, ref, bearer("admin"), files.png())
    auth.as_actor(make.staff("auditor"))
    response = client.post(f"/cases/{ref}/evidence-package", data={"recipient": "CPS", "purpose": "charging file"})
    assert response.headers["Content-Disposition"] == f"attachment; filename={ref}-evidence.zip"
    path = tmp_path / "p.zip"
    path.write_bytes(response.get_data())
    response.close()
    public = keys.public_text(keys.load_key(cw.settings.evidence_key_file).public_key())
    assert verify_package(path, public).ok


def attachments_of(cw, make, ref):
    from casework.evidence import attachments

    return attachments.list_attachments(cw, make.staff("auditor"), ref)


def test_the_api_chain_check_also_re_hashes_stored_exhibits(client, make, bearer, cw):
    from sqlalchemy import text

    item = _post(client, make.case(), bearer("admin"), files.png()).get_json()
    assert client.get("/api/v1/audit/verify", headers=bearer("auditor")).get_json()["ok"] is True
    with cw.engine.begin() as connection:
        connection.execute(text("UPDATE evidence_chunks SET data = :d"), {"d": b"tampered"})
    body = client.get("/api/v1/audit/verify", headers=bearer("auditor")).get_json()
    assert body["ok"] is False and body["chain_ok"] is True
    assert item["sha256"] in body["attachments"]["problems"][0]


def test_a_package_without_a_signing_key_is_refused_and_nothing_is_disclosed(client, auth, make, cw):
    ref = make.case()
    auth.as_actor(make.staff("auditor"))
    response = client.post(f"/cases/{ref}/evidence-package", data={"recipient": "CPS", "purpose": "charging"})
    assert response.status_code == 503 and "casework init" in response.get_data(as_text=True)
    with cw.reader() as uow:
        assert uow.session.execute(select(CaseEvent).where(CaseEvent.action == "exported")).first() is None


def test_a_large_upload_passes_the_csrf_check_with_csrf_on(cw, make):
    """CSRF reads the form before the view runs, so the attachment limit must already apply then."""
    import re

    from tests.e2e.conftest import PASSWORD
    from web import create_app

    app = create_app({"CASEWORK": cw, "TESTING": True})  # CSRF on, as in production
    make.user("ann", ["channel_admin"], password=PASSWORD)
    ref = make.case()
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token})
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    big = files.png() + bytes(3 * 1024 * 1024)  # over the app's 2 MB form limit, under the 25 MB cap
    body, content_type = _multipart(big, "big.png", csrf_token=token)
    response = client.post(f"/cases/{ref}/attachments", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 303  # reached the service (not a 413 at the door), which refused it
    assert "data follows the PNG" in client.get(response.headers["Location"]).get_data(as_text=True)
