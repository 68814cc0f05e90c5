"""`/inbox/preferences`: each user chooses e-mail and inbox per kind for themselves; breaches always go out."""

import re
from datetime import time

import pytest
from sqlalchemy import select

from casework.cases.actions import apply_trigger
from casework.intake import flags as intake
from casework.notify.outbox import KINDS
from casework.notify.preferences import preferences
from casework.notify.tables import NotificationPreference
from casework.storage.tables import CaseEvent
from notifications.dispatch import dispatch_pending
from tests.e2e.conftest import PASSWORD
from tests.e2e.session_support import sign_in_client
from tests.factories import REFER
from tests.notify_support import recipients
from web import create_app

SWITCHABLE = [k for k in KINDS if k not in ("sla_breach", "threat_to_life")]


def form(**changes) -> dict:
    """The form as a browser sends it with every box ticked and no quiet hours, then `changes` (None drops a box)."""
    data = {f"{kind}-{channel}": "on" for kind in SWITCHABLE for channel in ("email", "inbox")}
    data.update({"sla_warning-quiet_start": "", "sla_warning-quiet_end": ""})
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def stored(cw) -> dict:
    with cw.reader() as uow:
        return {
            (p.user_id, p.kind): (p.email, p.inbox, p.quiet_start, p.quiet_end)
            for p in uow.session.execute(select(NotificationPreference)).scalars()
        }


def refer(cw, make, staff, **inputs) -> str:
    ann = staff.add("ann", "channel_admin")
    ref = intake.flag_comment(cw, ann, make.flag_payload()).case.reference
    apply_trigger(cw, ann, ref, "start_review")
    apply_trigger(cw, ann, ref, "refer", {**REFER, **inputs})
    return ref


def test_the_page_lists_every_kind_and_shows_breaches_as_always_delivered(cw, staff, auth, client):
    auth.as_actor(staff.add("ben", "crime_bureau"))
    assert 'href="/inbox/preferences"' in client.get("/inbox").get_data(as_text=True)
    response = client.get("/inbox/preferences")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for kind in SWITCHABLE:
        assert f'id="{kind}-email" name="{kind}-email" checked' in page
        assert f'id="{kind}-inbox" name="{kind}-inbox" checked' in page
    assert page.count("Always delivered") == 2
    assert 'name="sla_breach-email"' not in page and 'name="threat_to_life-inbox"' not in page
    assert 'type="time" id="sla_warning-quiet_start"' in page and 'id="referral-quiet_start"' not in page
    assert "<script>" not in page and "style=" not in page and "<style" not in page  # CSP: no inline code
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_saving_stores_the_choices_and_records_who_made_them(cw, staff, auth, client):
    ben = auth.as_actor(staff.add("ben", "crime_bureau"))
    response = client.post(
        "/inbox/preferences",
        data=form(
            referral__email=None, closed__inbox=None, sla_warning__quiet_start="22:00", sla_warning__quiet_end="07:00"
        ),
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Your notification preferences are saved" in response.get_data(as_text=True)
    assert stored(cw) == {
        (ben.id, "referral"): (False, True, None, None),
        (ben.id, "closed"): (True, False, None, None),
        (ben.id, "sla_warning"): (True, True, time(22), time(7)),
    }
    page = client.get("/inbox/preferences").get_data(as_text=True)
    assert re.search(r'id="referral-email" name="referral-email">', page)  # shown unticked
    assert 'value="22:00"' in page and 'value="07:00"' in page
    with cw.reader() as uow:
        events = list(
            uow.session.execute(
                select(CaseEvent).where(CaseEvent.action == "notification_preference").order_by(CaseEvent.seq)
            ).scalars()
        )
    assert [(e.actor, e.role, e.data["kind"]) for e in events] == [
        ("ben", "crime_bureau", "referral"),
        ("ben", "crime_bureau", "sla_warning"),
        ("ben", "crime_bureau", "closed"),
    ]
    assert next(e for e in events if e.data["kind"] == "sla_warning").data["quiet"] == "22:00-07:00"
    client.post(
        "/inbox/preferences",
        data=form(
            referral__email=None, closed__inbox=None, sla_warning__quiet_start="22:00", sla_warning__quiet_end="07:00"
        ),
    )
    with cw.reader() as uow:  # saving the same choices again records nothing new
        assert (
            len(uow.session.execute(select(CaseEvent).where(CaseEvent.action == "notification_preference")).all()) == 3
        )


def test_saved_preferences_decide_who_gets_an_email_for_a_real_referral(cw, make, staff, auth, client, smtp_server):
    auth.as_actor(staff.add("ben", "crime_bureau"))
    staff.add("cat", "comms")
    client.post("/inbox/preferences", data=form(referral__email=None))
    ref = refer(cw, make, staff)
    assert recipients(cw, "email") == {"cat": "referral"}
    assert recipients(cw, "inbox") == {"ben": "referral", "cat": "referral"}
    dispatch_pending(cw, settings=smtp_server.settings())
    assert sorted(smtp_server.handler.by_recipient()) == ["cat@police.example"]
    assert ref in client.get("/inbox").get_data(as_text=True)  # still in ben's inbox


def test_threat_to_life_referrals_reach_a_user_who_switched_everything_off(cw, make, staff, auth, client):
    auth.as_actor(staff.add("ben", "crime_bureau"))
    everything_off = {name: None for name in form() if name.endswith(("-email", "-inbox"))}
    hand_made = {"threat_to_life-email": "", "threat_to_life-inbox": "", "sla_breach-email": ""}
    response = client.post("/inbox/preferences", data={**form(**everything_off), **hand_made})
    assert response.status_code == 302
    assert all(not (email or inbox) for email, inbox, *_ in stored(cw).values())
    assert {kind for _, kind in stored(cw)} == set(SWITCHABLE)  # the always-delivered kinds are not stored
    refer(cw, make, staff, threat_to_life="yes")
    assert recipients(cw, "email")["ben"] == recipients(cw, "inbox")["ben"] == "threat_to_life"


@pytest.mark.parametrize(
    "start,end,field,message",
    [
        ("25:00", "07:00", "sla_warning-quiet_start", "a time as HH:MM"),
        ("22:00", "", "sla_warning-quiet_end", "give both the start and the end, or neither"),
        ("", "7am", "sla_warning-quiet_end", "a time as HH:MM"),
        ("22:00", "22:00", "sla_warning-quiet_end", "the end must differ from the start"),
    ],
)
def test_bad_quiet_hours_are_shown_at_the_field_with_422_and_nothing_is_saved(
    cw, staff, auth, client, start, end, field, message
):
    auth.as_actor(staff.add("ben", "crime_bureau"))
    response = client.post(
        "/inbox/preferences",
        data=form(referral__email=None, sla_warning__quiet_start=start, sla_warning__quiet_end=end),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was saved" in page
    assert re.search(rf'<p class="field-error" id="{field}-error">{re.escape(message)}', page)
    assert f'id="{field}" name="{field}" aria-invalid="true" aria-describedby="{field}-error"' in page
    assert f'value="{start}"' in page and re.search(r'id="referral-email" name="referral-email">', page)  # as typed
    assert stored(cw) == {}


def test_a_user_cannot_change_anyone_elses_preferences(cw, staff, auth, client):
    cat = staff.add("cat", "comms")
    client_cat = client.application.test_client()
    sign_in_client(client_cat, "cat")
    client_cat.post("/inbox/preferences", data=form(closed__email=None))
    ben = auth.as_actor(staff.add("ben", "crime_bureau"))
    page = client.get("/inbox/preferences").get_data(as_text=True)
    assert re.search(r'id="closed-email" name="closed-email" checked', page)  # ben sees his own defaults
    response = client.post(
        "/inbox/preferences",
        data={**form(advice_given__inbox=None), "user": "cat", "user_id": str(cat.id), "username": "cat"},
    )
    assert response.status_code == 302
    assert stored(cw) == {
        (cat.id, "closed"): (False, True, None, None),
        (ben.id, "advice_given"): (True, False, None, None),
    }
    assert [p.email for p in preferences(cw, cat) if p.kind == "closed"] == [False]


def test_the_page_needs_a_signed_in_user_and_saving_needs_the_csrf_token(cw, make, staff):
    app = create_app({"CASEWORK": cw, "TESTING": True})  # CSRF on
    make.user("ben", ["crime_bureau"], password=PASSWORD)
    client = app.test_client()
    assert client.get("/inbox/preferences").headers["Location"].startswith("/login")
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "ben", "password": PASSWORD, "csrf_token": token})
    assert client.post("/inbox/preferences", data=form(referral__email=None)).status_code == 400
    assert stored(cw) == {}
    page = client.get("/inbox/preferences").get_data(as_text=True)
    form_token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert (
        client.post("/inbox/preferences", data={**form(referral__email=None), "csrf_token": form_token}).status_code
        == 302
    )
    assert [kind for _, kind in stored(cw)] == ["referral"]


def test_someone_with_no_e_mail_address_is_told_that_nothing_reaches_them_by_e_mail(cw, staff, auth, client):
    auth.as_actor(staff.add("dee", "crime_bureau", email=False))
    page = client.get("/inbox/preferences").get_data(as_text=True)
    assert "No e-mail address is on record for you" in page
    assert "always reach you by e-mail" not in page
    auth.as_actor(staff.add("eve", "crime_bureau"))
    page = client.get("/inbox/preferences").get_data(as_text=True)
    assert "No e-mail address is on record" not in page and "eve@police.example" in page
