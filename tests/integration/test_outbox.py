"""Who is told of what: outbox rows written in the same transaction as the change (SPEC §5)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from casework.access.actors import Actor
from casework.cases.actions import apply_trigger
from casework.errors import PermissionDenied, ValidationError
from casework.events import CaseChanged
from casework.intake import flags as intake
from casework.notify.endpoints import add_webhook
from casework.notify.outbox import quiet_until
from casework.notify.preferences import set_preference
from casework.notify.tables import NotificationPreference
from casework.storage.tables import Case
from tests.factories import ADVICE, CLOSE, REFER
from tests.notify_support import recipients, rows


@pytest.fixture
def team(staff):
    """A Warwickshire team, a colleague in West Mercia, and one comms officer without e-mail."""
    return {
        name: staff.add(name, *roles, force=force, email=email)
        for name, roles, force, email in [
            ("ann", ["channel_admin"], "warwickshire", True),
            ("amy", ["channel_admin"], "warwickshire", True),
            ("ben", ["crime_bureau"], "warwickshire", True),
            ("bob", ["crime_bureau"], "warwickshire", True),
            ("cat", ["comms"], "warwickshire", True),
            ("dee", ["comms"], "warwickshire", False),
            ("sue", ["supervisor"], "warwickshire", True),
            ("wes", ["crime_bureau", "comms", "supervisor"], "west_mercia", True),
        ]
    }


def flagged(cw, make, team) -> str:
    return intake.flag_comment(
        cw, team["ann"], make.flag_payload(text="<script>alert(1)</script> hostile")
    ).case.reference


def referred(cw, make, team, threat_to_life="no") -> str:
    ref = flagged(cw, make, team)
    apply_trigger(cw, team["ann"], ref, "start_review")
    apply_trigger(cw, team["ann"], ref, "refer", {**REFER, "threat_to_life": threat_to_life})
    return ref


def publish(cw, kind, ref, **inputs):
    """What the SLA sweep does: publish a change (with the case as a Core row) inside a unit of work."""
    cases = Case.__table__
    with cw.uow() as uow:
        case = uow.session.execute(select(cases).where(cases.c.reference == ref)).one()
        cw.publish(uow, CaseChanged(kind, case, Actor.system("sla", cw.settings.forces), cw.now(), inputs=inputs))
        uow.commit()


def test_a_referral_tells_the_crime_bureau_and_comms_of_the_force_but_not_the_referrer(cw, make, team):
    referred(cw, make, team)
    assert recipients(cw, "inbox") == {"ben": "referral", "bob": "referral", "cat": "referral", "dee": "referral"}
    assert recipients(cw, "email") == {"ben": "referral", "bob": "referral", "cat": "referral"}  # dee has no address
    email = rows(cw, channel="email")[0]
    assert email.status == "pending" and email.attempts == 0 and email.next_attempt_at == cw.now()
    assert email.subject == "WK-2026-000001: referred to the Crime Bureau"


def test_the_payload_holds_facts_to_render_from_but_never_the_comment(cw, make, team):
    referred(cw, make, team)
    for row in rows(cw):
        assert "<script>" not in str(row.payload) and "hostile" not in str(row.payload)
        assert row.payload["reference"] == "WK-2026-000001" and row.payload["actor"] == "ann"
    assert len({row.delivery_id for row in rows(cw)}) == len(rows(cw))


def test_delivery_ids_follow_the_order_rows_are_written_in(cw, make, team):
    """A random id would land each new row at a random place in the unique index: at millions of rows,
    a page read and a page written per notification. Time-ordered ids (UUIDv7) go on at its end."""
    for _ in range(3):
        ref = referred(cw, make, team)
        apply_trigger(cw, team["ben"], ref, "give_advice", ADVICE)
    written = [row.delivery_id for row in rows(cw)]  # oldest first
    assert len(written) > 10 and written == sorted(written) and len(set(written)) == len(written)
    assert all(len(d) == 32 and d[12] == "7" for d in written)  # a UUIDv7 as 32 hex digits


def test_a_refused_transition_leaves_no_notification_behind(cw, make, team):
    ref = flagged(cw, make, team)
    apply_trigger(cw, team["ann"], ref, "start_review")
    with pytest.raises(ValidationError):
        apply_trigger(cw, team["ann"], ref, "refer", {"category": ["hate_crime"]})
    with pytest.raises(PermissionDenied):
        apply_trigger(cw, team["ben"], ref, "refer", REFER)
    assert rows(cw) == []


def test_a_threat_to_life_referral_escalates_at_once_to_the_bureau_and_supervisors(cw, make, team):
    set_preference(cw, "sue", "threat_to_life", email=False, inbox=False)
    referred(cw, make, team, threat_to_life="yes")
    assert recipients(cw, "inbox") == {
        "ben": "threat_to_life",
        "bob": "threat_to_life",
        "sue": "threat_to_life",
        "cat": "referral",
        "dee": "referral",
    }
    assert recipients(cw, "email")["sue"] == "threat_to_life"  # preferences cannot switch escalations off
    assert len(rows(cw, kind="threat_to_life", channel="inbox")) == 3  # the clocks' `escalated` adds none
    assert rows(cw, kind="threat_to_life")[0].subject.startswith("URGENT WK-2026-000001")


def test_advice_tells_comms_and_a_question_goes_back_to_the_referring_admin(cw, make, team):
    ref = referred(cw, make, team)
    apply_trigger(cw, team["ben"], ref, "request_information", {"question": "which post?"})
    assert recipients(cw, kind="information_requested") == {"ann": "information_requested"}
    apply_trigger(cw, team["ann"], ref, "refer", {**REFER, "answer": "the appeal"})
    apply_trigger(cw, team["bob"], ref, "give_advice", ADVICE)
    assert recipients(cw, kind="advice_given") == {"cat": "advice_given", "dee": "advice_given"}


def test_closing_tells_the_referrer_and_reopening_tells_the_admins_and_the_closer(cw, make, team):
    ref = referred(cw, make, team)
    apply_trigger(cw, team["ben"], ref, "give_advice", ADVICE)
    apply_trigger(cw, team["cat"], ref, "close", CLOSE)
    assert recipients(cw, kind="closed") == {"ann": "closed"}
    apply_trigger(cw, team["sue"], ref, "reopen", {"reason": "new evidence"})
    assert recipients(cw, kind="reopened") == {"ann": "reopened", "amy": "reopened", "cat": "reopened"}


def test_an_sla_warning_goes_to_the_assignee_or_else_the_stages_team(cw, make, team):
    ref = flagged(cw, make, team)
    apply_trigger(cw, team["ann"], ref, "start_review")  # assigned to ann
    publish(cw, "sla_warning", ref, clock="review_decision", due_at="2026-11-25T13:00:00+00:00")
    assert recipients(cw, kind="sla_warning") == {"ann": "sla_warning"}
    other = referred(cw, make, team)  # unassigned at crime_bureau_advice
    publish(cw, "sla_warning", other, clock="crime_recording_decision", due_at="2026-11-26T09:00:00+00:00")
    warned = rows(cw, kind="sla_warning", channel="inbox")[1:]
    assert {r.recipient_id for r in warned} == {team["ben"].id, team["bob"].id}
    assert warned[0].subject == "WK-2026-000002: Crime-recording decision is due soon"


def test_an_sla_breach_goes_to_the_team_and_the_supervisors_whatever_their_preferences(cw, make, team):
    ref = referred(cw, make, team)
    for user in ("ben", "sue"):
        set_preference(cw, user, "sla_breach", email=False, inbox=False, quiet="00:00-23:59")
    publish(cw, "sla_breach", ref, clock="crime_recording_decision", due_at="2026-11-26T09:00:00+00:00")
    assert recipients(cw, "email", kind="sla_breach") == {"ben": "sla_breach", "bob": "sla_breach", "sue": "sla_breach"}
    assert all(r.next_attempt_at == cw.now() for r in rows(cw, kind="sla_breach"))


def test_quiet_hours_hold_a_warning_email_until_morning_but_not_the_inbox(cw, make, team, clock):
    clock.set(clock.now().replace(hour=22, minute=30))  # 22:30 GMT on Wednesday
    set_preference(cw, "ann", "sla_warning", quiet="22:00-07:00")
    ref = flagged(cw, make, team)
    apply_trigger(cw, team["ann"], ref, "start_review")
    publish(cw, "sla_warning", ref, clock="review_decision", due_at="2026-11-26T00:00:00+00:00")
    (email,) = rows(cw, kind="sla_warning", channel="email")
    assert email.next_attempt_at == clock.now().replace(hour=7, minute=0) + timedelta(days=1)
    assert rows(cw, kind="sla_warning", channel="inbox")[0].next_attempt_at == clock.now()


def test_a_user_may_choose_the_inbox_only_for_a_kind(cw, make, team):
    set_preference(cw, "cat", "referral", email=False, inbox=True)
    referred(cw, make, team)
    assert "cat" in recipients(cw, "inbox") and "cat" not in recipients(cw, "email")
    with cw.reader() as uow:
        pref = uow.session.get(NotificationPreference, (team["cat"].id, "referral"))
        assert (pref.email, pref.inbox, pref.quiet_start) == (False, True, None)


@pytest.mark.parametrize(
    "kind,quiet,field",
    [("nonsense", None, "kind"), ("sla_warning", "22-07", "quiet"), ("sla_warning", "25:00-07:00", "quiet")],
)
def test_bad_preferences_are_refused(cw, team, kind, quiet, field):
    with pytest.raises(ValidationError) as error:
        set_preference(cw, "ann", kind, quiet=quiet)
    assert field in error.value.errors


def test_team_webhooks_get_one_row_per_endpoint_of_the_force(cw, make, team):
    bureau = add_webhook(cw, "warwickshire", "crime_bureau", "https://hooks.example/bureau", "s" * 32)
    add_webhook(cw, "west_mercia", "crime_bureau", "https://hooks.example/wm", "s" * 32)
    add_webhook(cw, "warwickshire", "supervisor", "https://hooks.example/sup", "s" * 32)
    referred(cw, make, team)
    assert [(r.endpoint_id, r.kind) for r in rows(cw, channel="webhook")] == [(bureau.id, "referral")]


@pytest.mark.parametrize(
    "force,team_name,url,field",
    [
        ("kent", "comms", "https://x.example/", "force"),
        ("warwickshire", "auditor", "https://x.example/", "team"),
        ("warwickshire", "comms", "ftp://x.example/", "url"),
        ("warwickshire", "comms", "https:///nohost", "url"),
    ],
)
def test_bad_webhook_endpoints_are_refused(cw, force, team_name, url, field):
    with pytest.raises(ValidationError) as error:
        add_webhook(cw, force, team_name, url)
    assert field in error.value.errors


def test_quiet_hours_apply_in_uk_time_across_summer_time():
    pref = NotificationPreference(user_id=1, kind="sla_warning", quiet_start=time(22), quiet_end=time(7))
    summer = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 BST
    assert quiet_until(summer, pref) == datetime(2026, 7, 2, 6, 0, tzinfo=UTC)
    assert quiet_until(summer.replace(hour=20), pref) is None  # 21:00 BST
    early = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 05:00 GMT
    assert quiet_until(early, pref) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_a_breach_found_when_its_clock_stops_at_closure_reaches_the_team_of_the_stage_it_measured(
    cw, make, team, clock
):
    ref = referred(cw, make, team)
    apply_trigger(cw, team["ben"], ref, "give_advice", ADVICE)
    clock.advance(days=6)  # comms action (2 working days) and end to end (5 days) both pass, unnoticed
    apply_trigger(cw, team["cat"], ref, "close", CLOSE)
    breached = recipients(cw, "inbox", kind="sla_breach")
    assert set(breached) == {"cat", "dee", "sue"}  # comms, who owned comms_action, and the supervisors


def test_a_warning_found_when_its_clock_stops_reaches_whoever_held_the_case(cw, make, team, clock):
    ref = flagged(cw, make, team)
    apply_trigger(cw, team["ann"], ref, "start_review")
    clock.advance(hours=3, minutes=30)  # review decision: warned at 3 h, due at 4 h; nobody swept
    apply_trigger(cw, team["amy"], ref, "dismiss", {"reason_code": "spam", "note": "spam"})
    assert recipients(cw, "inbox", kind="sla_warning") == {"ann": "sla_warning"}
