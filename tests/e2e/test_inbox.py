"""The in-app inbox and the supervisors' dead letters, through the real app (Flask test client)."""

import re

import pytest

from casework.cases.actions import apply_trigger
from casework.intake import flags as intake
from notifications.config import NotifySettings
from notifications.dispatch import dispatch_pending
from tests.e2e.conftest import PASSWORD
from tests.factories import REFER
from tests.notify_support import free_port, rows
from web import create_app

DOWN = NotifySettings(smtp_port=free_port(), max_attempts=1, dead_after_hours=0)


def refer(cw, make, staff, **payload):
    ann = staff.add("ann", "channel_admin")
    ref = intake.flag_comment(cw, ann, make.flag_payload(**payload)).case.reference
    apply_trigger(cw, ann, ref, "start_review")
    apply_trigger(cw, ann, ref, "refer", REFER)
    dispatch_pending(cw, settings=DOWN)  # the inbox is delivered; e-mail cannot be
    return ref


def unread_badge(page: str) -> str | None:
    found = re.search(r'class="inbox-link"[^>]*>Inbox(?: <span class="badge" title="unread">(\d+)</span>)?', page)
    return found.group(1) if found else "missing"


def test_a_recipient_sees_the_news_in_the_inbox_with_an_unread_count_and_marks_it_read(cw, make, staff, auth, client):
    auth.as_new("ben", ["crime_bureau"])
    ref = refer(cw, make, staff, text="<script>alert(1)</script>")
    page = client.get("/inbox").get_data(as_text=True)
    assert unread_badge(page) == "1"
    assert f"{ref}: referred to the Crime Bureau" in page and f'href="/cases/{ref}"' in page
    assert "<script>alert" not in page
    (item,) = rows(cw, channel="inbox")
    assert client.post(f"/inbox/{item.id}/read").status_code == 302
    assert unread_badge(client.get("/inbox").get_data(as_text=True)) is None
    assert rows(cw, channel="inbox")[0].read_at == cw.now()


def test_nobody_sees_or_marks_anyone_elses_notifications(cw, make, staff, auth, client):
    staff.add("ben", "crime_bureau")
    refer(cw, make, staff)
    auth.as_new("cal", ["crime_bureau"], forces=("west_mercia",))
    assert "No notifications yet" in client.get("/inbox").get_data(as_text=True)
    bens = rows(cw, channel="inbox")[0]
    assert client.post(f"/inbox/{bens.id}/read").status_code == 404
    assert rows(cw, channel="inbox")[0].read_at is None


def test_mark_all_read_empties_the_count(cw, make, staff, auth, client):
    auth.as_new("ben", ["crime_bureau"])
    refer(cw, make, staff)
    response = client.post("/inbox/read", follow_redirects=True)
    assert "1 notification marked read" in response.get_data(as_text=True)


def test_the_inbox_needs_a_signed_in_user(client):
    response = client.get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_supervisors_see_dead_letters_of_their_forces_and_send_them_again(cw, make, staff, auth, client):
    auth.as_new("sue", ["supervisor"])
    staff.add("ben", "crime_bureau")
    ref = refer(cw, make, staff)
    page = client.get("/inbox/failed").get_data(as_text=True)
    assert page.count("<td>dead") == 1 and ref in page and "ConnectionRefused" in page
    dead = rows(cw, channel="email")[0]
    response = client.post(f"/inbox/failed/{dead.id}/retry", follow_redirects=True)
    assert f"Notification {dead.id} will be sent again" in response.get_data(as_text=True)
    assert rows(cw, channel="email")[0].status == "pending"


@pytest.mark.parametrize("roles,forces", [(["crime_bureau"], ("warwickshire",)), (["supervisor"], ("west_mercia",))])
def test_others_cannot_see_or_retry_dead_letters(cw, make, staff, auth, client, roles, forces):
    staff.add("ben", "crime_bureau")
    refer(cw, make, staff)
    auth.as_new("val", roles, forces=forces)
    dead = rows(cw, channel="email")[0]
    if "supervisor" in roles:
        assert "Nothing has failed" in client.get("/inbox/failed").get_data(as_text=True)
        assert client.post(f"/inbox/failed/{dead.id}/retry").status_code == 404
    else:
        assert client.get("/inbox/failed").status_code == 403
        assert client.post(f"/inbox/failed/{dead.id}/retry").status_code == 403
    assert rows(cw, channel="email")[0].status == "dead"


def test_marking_read_needs_the_csrf_token(cw, make, staff):
    app = create_app({"CASEWORK": cw, "TESTING": True})  # CSRF on
    make.user("ben", ["crime_bureau"], password=PASSWORD)
    refer(cw, make, staff)
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "ben", "password": PASSWORD, "csrf_token": token})
    item = rows(cw, channel="inbox")[0]
    assert client.post(f"/inbox/{item.id}/read").status_code == 400
    page = client.get("/inbox").get_data(as_text=True)
    form_token = page.split(f'action="/inbox/{item.id}/read">')[1].split('value="')[1].split('"')[0]
    assert client.post(f"/inbox/{item.id}/read", data={"csrf_token": form_token}).status_code == 302
    assert rows(cw, channel="inbox")[0].read_at is not None
