"""E-mail reaches a real SMTP server: recipients, subject, both parts escaped right, a stable Message-ID."""

import random
from dataclasses import replace

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, update

from casework.access import users
from casework.access.actors import Actor
from casework.audit import verify as audit
from casework.cases.actions import add_comment, apply_trigger
from casework.events import CaseChanged
from casework.intake import flags as intake
from casework.notify.inbox import outbox_rows, retry
from casework.notify.outbox import KINDS
from casework.storage.tables import Case, CaseEvent, Comment
from notifications.dispatch import dispatch_pending
from notifications.marks import backoff
from tests.factories import ADVICE, CLOSE, REFER
from tests.notify_support import rows

HOSTILE = "<script>alert('x')</script> & \"you\" lot"


@pytest.fixture
def referral(cw, make, staff):
    """A referral by ann that Ben (Crime Bureau) and Cat (Comms) must hear of."""
    ann, ben, cat = (staff.add(n, r) for n, r in (("ann", "channel_admin"), ("ben", "crime_bureau"), ("cat", "comms")))
    ref = intake.flag_comment(cw, ann, make.flag_payload(text=HOSTILE, author_handle="<b>troll</b>")).case.reference
    apply_trigger(cw, ann, ref, "start_review")
    apply_trigger(cw, ann, ref, "refer", REFER)
    return ref


def events(cw, action):
    with cw.reader() as uow:
        return list(
            uow.session.execute(select(CaseEvent).where(CaseEvent.action == action).order_by(CaseEvent.seq)).scalars()
        )


def test_each_recipient_gets_a_multipart_email_with_the_hostile_text_escaped_in_html(cw, referral, smtp_server):
    report = dispatch_pending(cw, settings=smtp_server.settings(base_url="https://casework.example"))
    assert (report.inbox, report.claimed, report.sent, report.failed) == (2, 2, 2, 0)
    received = smtp_server.handler.by_recipient()
    assert sorted(received) == ["ben@police.example", "cat@police.example"]
    message = received["ben@police.example"][0]
    assert message["Subject"].strip() == f"[OFFICIAL-SENSITIVE] {referral}: referred to the Crime Bureau"
    assert message["From"] == "casework <casework@police.example>" and message["To"] == "ben@police.example"
    delivery_id = rows(cw, channel="email", recipient_id=2)[0].delivery_id
    assert message["Message-ID"] == f"<casework.{delivery_id}@police.example>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert HOSTILE in text and "Author: <b>troll</b>" in text
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;you&#34; lot" in html
    assert "&lt;b&gt;troll&lt;/b&gt;" in html
    assert (
        f"https://casework.example/cases/{referral}" in text
        and f'href="https://casework.example/cases/{referral}"' in html
    )
    assert f"Ann referred {referral} to the Crime Bureau" in text and "Category: Hate crime" in text


@pytest.mark.parametrize("note", ["dros to chi, diolch 🚓", " ".join(["café"] * 300)], ids=["short", "long"])
def test_words_beyond_ascii_arrive_intact_in_a_message_any_smtp_server_takes(cw, make, staff, smtp_server, note):
    """Welsh, Irish, emoji: every header and part decodes to what was written, and the message on the wire
    is 7-bit with lines under 1,000 bytes, so no server needs 8BITMIME or SMTPUTF8 for it."""
    users.add_user(cw, "sian", roles=["channel_admin"], forces=["warwickshire"], display_name="Siân Ó Briain")
    staff.add("ben", "crime_bureau")
    ref = make.case("admin_review", text="Dydd da — ¿qué?")
    add_comment(cw, users.actor_for(cw, "sian"), ref, f"@ben {note}")
    settings = replace(smtp_server.settings(), smtp_from="Heddlu – casework <casework@police.example>")
    assert dispatch_pending(cw, settings=settings).sent == 1
    [(rcpts, message)] = smtp_server.messages
    assert rcpts == ["ben@police.example"]
    assert message["Subject"] == f"[OFFICIAL-SENSITIVE] {ref}: Siân Ó Briain mentioned you in a note"
    assert message["From"] == "Heddlu – casework <casework@police.example>"
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    assert f"@ben {note}" in text and "Dydd da — ¿qué?" in text
    assert "Siân Ó Briain" in html and "Dydd da — ¿qué?" in html
    [raw] = smtp_server.handler.raw
    assert raw.isascii() and max(len(line) for line in raw.splitlines()) < 1000


def test_every_delivery_is_an_audit_event_and_the_chain_still_verifies(cw, referral, smtp_server):
    dispatch_pending(cw, settings=smtp_server.settings())
    sent = events(cw, "notification_sent")
    assert sorted((e.data["channel"], e.data["to"]) for e in sent) == [
        ("email", "ben"),
        ("email", "cat"),
        ("inbox", "ben"),
        ("inbox", "cat"),
    ]
    assert all(e.actor == "system:notifications" and e.case_id == 1 for e in sent)
    assert all(HOSTILE not in str(e.data) for e in sent)
    with cw.reader() as uow:
        assert audit.verify(uow.session).ok
    assert all(r.status == "sent" and r.sent_at == cw.now() for r in rows(cw))
    assert dispatch_pending(cw, settings=smtp_server.settings()).claimed == 0  # nothing is sent twice


def test_in_one_batch_each_change_reads_from_its_own_case_and_each_recipient_of_it_the_same(
    cw, make, referral, smtp_server
):
    """A batch renders each change once for all its recipients, never one change's words for another's."""
    ann = make.staff("admin")
    other = intake.flag_comment(cw, ann, make.flag_payload(text="a second, different comment")).case.reference
    apply_trigger(cw, ann, other, "start_review")
    apply_trigger(cw, ann, other, "refer", {**REFER, "note": "the second note"})
    assert dispatch_pending(cw, settings=smtp_server.settings()).sent == 4
    bodies: dict[str, list[str]] = {}
    for _, message in smtp_server.messages:
        bodies.setdefault(message["Subject"], []).append(message.get_body(("plain",)).get_content())
    assert len(bodies) == 2 and all(len(texts) == 2 and texts[0] == texts[1] for texts in bodies.values())
    first, second = (bodies[f"[OFFICIAL-SENSITIVE] {r}: referred to the Crime Bureau"][0] for r in (referral, other))
    assert HOSTILE in first and "please advise" in first and "second" not in first
    assert "a second, different comment" in second and "the second note" in second and HOSTILE not in second


def test_a_redacted_comment_is_not_sent(cw, referral, smtp_server):
    with cw.uow() as uow:
        uow.session.execute(update(Comment).values(text=None, author_handle=None, redacted_at=cw.now()))
        uow.commit()
    dispatch_pending(cw, settings=smtp_server.settings())
    message = smtp_server.messages[0][1]
    assert "(redacted)" in message.get_body(("plain",)).get_content()
    assert "script" not in message.as_string() and "troll" not in message.as_string()


def test_when_smtp_is_down_it_retries_with_back_off_then_delivers_once_it_is_up(cw, referral, smtp_port_down, clock):
    settings = smtp_port_down.settings()
    first = dispatch_pending(cw, settings=settings, rng=random.Random(1))
    assert (first.sent, first.failed) == (0, 2)
    failed = rows(cw, channel="email")
    assert all(r.status == "failed" and r.attempts == 1 and "ConnectionRefused" in r.last_error for r in failed)
    delays = [(r.next_attempt_at - clock.now()).total_seconds() for r in failed]
    assert all(15 <= d <= 30 for d in delays)  # half to all of the 30 s base
    assert dispatch_pending(cw, settings=settings).claimed == 0  # not due yet
    clock.advance(seconds=31)
    assert dispatch_pending(cw, settings=settings, rng=random.Random(2)).failed == 2
    assert all(30 <= (r.next_attempt_at - clock.now()).total_seconds() <= 60 for r in rows(cw, channel="email"))
    smtp_port_down.start()
    clock.advance(seconds=61)
    assert dispatch_pending(cw, settings=settings).sent == 2
    assert len(smtp_port_down.messages) == 2
    assert [r.attempts for r in rows(cw, channel="email")] == [3, 3]
    assert len(events(cw, "notification_failed")) == 4


def test_back_off_grows_exponentially_with_jitter_up_to_a_cap(smtp_server):
    settings = smtp_server.settings()
    rng = random.Random(7)
    ceilings = [min(3600, 30 * 2 ** (n - 1)) for n in range(1, 10)]
    for attempt, ceiling in enumerate(ceilings, start=1):
        delay = backoff(attempt, settings, rng).total_seconds()
        assert ceiling / 2 <= delay <= ceiling
    assert len({backoff(3, settings, random.Random(seed)) for seed in range(5)}) == 5


def test_after_the_last_attempt_a_notification_is_a_dead_letter(cw, referral, smtp_port_down, clock):
    settings = smtp_port_down.settings(max_attempts=3, dead_after_hours=0)
    for _ in range(3):
        dispatch_pending(cw, settings=settings)
        clock.advance(hours=1)
    assert [r.status for r in rows(cw, channel="email")] == ["dead", "dead"]
    assert len(events(cw, "notification_dead")) == 2
    assert dispatch_pending(cw, settings=settings).claimed == 0
    assert [r.status for r in outbox_rows(cw, undelivered=True)] == ["dead", "dead"]


def test_a_refused_recipient_is_a_dead_letter_at_once_and_a_retry_sends_it(cw, referral, smtp_server):
    smtp_server.handler.reply = "550 5.1.1 mailbox unavailable"
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert report.dead == 2 and all(r.status == "dead" for r in rows(cw, channel="email"))
    smtp_server.handler.reply = "250 OK"
    dead = rows(cw, channel="email")[0]
    retry(cw, dead.id, by="system:cli")
    assert rows(cw, id=dead.id)[0].status == "pending"
    assert dispatch_pending(cw, settings=smtp_server.settings()).sent == 1
    (message,) = [m for _, m in smtp_server.messages]
    assert message["Message-ID"] == f"<casework.{dead.delivery_id}@police.example>"
    assert [e.data["notification"] for e in events(cw, "notification_retried")] == [dead.id]


def test_every_kind_of_notification_renders_in_both_parts(cw, make, staff, smtp_server):
    ann, ben, cat, sue = (
        staff.add(n, r)
        for n, r in (("ann", "channel_admin"), ("ben", "crime_bureau"), ("cat", "comms"), ("sue", "supervisor"))
    )
    ref = intake.flag_comment(cw, ann, make.flag_payload()).case.reference
    for who, trigger, inputs in [
        (ann, "start_review", {}),
        (ann, "refer", REFER),
        (ben, "request_information", {"question": "<i>which</i> post?"}),
        (ann, "refer", {**REFER, "threat_to_life": "yes", "answer": "the appeal"}),
        (ben, "give_advice", ADVICE),
        (cat, "close", CLOSE),
        (sue, "reopen", {"reason": "new evidence"}),
    ]:
        apply_trigger(cw, who, ref, trigger, inputs)
    add_comment(cw, sue, ref, "@ben have a look at the new evidence")
    with cw.uow() as uow:
        case = uow.session.execute(select(Case)).scalar_one()
        for kind in ("sla_warning", "sla_breach"):
            cw.publish(
                uow,
                CaseChanged(
                    kind,
                    case,
                    Actor.system("sla", cw.settings.forces),
                    cw.now(),
                    inputs={"clock": "end_to_end", "due_at": "2026-07-01T12:00:00+00:00"},
                ),
            )
        uow.commit()
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert report.failed == report.dead == 0 and report.sent == len(smtp_server.messages)
    subjects = {m["Subject"].strip() for _, m in smtp_server.messages}
    assert {r.kind for r in rows(cw, channel="email")} == set(KINDS)
    assert f"[OFFICIAL-SENSITIVE] BREACH {ref}: End to end target missed" in subjects
    bodies = "".join(m.get_body(("plain",)).get_content() for _, m in smtp_server.messages)
    assert "it was due at 01 Jul 2026 13:00 BST" in bodies and "Question: <i>which</i> post?" in bodies


def test_smtp_login_uses_the_configured_credentials(cw, referral, smtp_port_down):
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    smtp_port_down.start(authenticator=authenticate, auth_require_tls=False)  # no TLS certificate in tests
    settings = smtp_port_down.settings(smtp_user="casework", smtp_password="s3cret-pass")
    assert dispatch_pending(cw, settings=settings).sent == 2
    assert logins == [(b"casework", b"s3cret-pass")]  # once: the connection is reused for the batch


def test_an_outage_longer_than_the_attempts_does_not_kill_mail_before_it_is_old_enough(
    cw, referral, smtp_port_down, clock
):
    settings = smtp_port_down.settings(max_attempts=3, dead_after_hours=24)
    for _ in range(12):  # twelve hours of outage, an attempt an hour: far past the attempts
        dispatch_pending(cw, settings=settings)
        clock.advance(hours=1)
    assert {r.status for r in rows(cw, channel="email")} == {"failed"}
    smtp_port_down.start()
    assert dispatch_pending(cw, settings=settings).sent == 2


def test_out_of_attempts_and_old_enough_is_a_dead_letter(cw, referral, smtp_port_down, clock):
    settings = smtp_port_down.settings(max_attempts=3, dead_after_hours=24)
    for _ in range(3):
        dispatch_pending(cw, settings=settings)
        clock.advance(hours=12)
    assert {r.status for r in rows(cw, channel="email")} == {"dead"}
