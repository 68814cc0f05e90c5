"""Notification dispatch: e-mails per second to a local SMTP server, one and several dispatchers, vs raw smtplib."""

from __future__ import annotations

import multiprocessing
import os
import smtplib
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import event, insert, select, update

from bench.common import free_port, fresh_runtime, rate
from casework.access import users
from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.config import Settings
from casework.intake import flags as intake
from casework.labels import Labels
from casework.notify.tables import Notification
from casework.sla.sweep import sweep_batch
from casework.storage.db import make_engine
from casework.storage.schema import migrate
from notifications.channels.email import build_message
from notifications.config import NotifySettings
from notifications.dispatch import dispatch_pending
from notifications.render import context, render

RECIPIENTS = int(os.environ.get("BENCH_NOTIFY_RECIPIENTS", "10"))  # e-mails per referral
CASES = int(os.environ.get("BENCH_NOTIFY_CASES", "100"))
BACKLOG = int(os.environ.get("BENCH_NOTIFY_BACKLOG", "10000"))
THREADS = (1, 2, 4)
PROCESSES = (2, 4)
ROUNDS = 3
URGENT = ("threat_to_life", "sla_breach")
REFER = {"category": ["hate_crime"], "strands": ["race"], "threat_to_life": "no", "note": "advise"}


def _sink(port: int, ready, count) -> None:
    """A discarding SMTP server in its own process, so it does not share the dispatchers' GIL."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _runtime():
    url = os.environ.get("BENCH_NOTIFY_DATABASE_URL")
    if not url:
        return fresh_runtime(name="notify.db")
    cw = bootstrap(Settings(database_url=url), engine=make_engine(url, pool_size=10))
    migrate(cw.engine)
    return cw


def _flagged(cw, admin, force: str, external_id: str, text: str = "urgent", author: str | None = None) -> str:
    comment = {"platform": "facebook", "channel": "Page", "text": text, "reason": "race", "author_handle": author}
    url = f"https://facebook.com/{external_id}"
    payload = {**comment, "force": force, "external_id": external_id, "permalink": url}
    return intake.flag_comment(cw, admin, payload).case.reference


def _referrals(cw) -> None:
    """CASES referrals, each telling RECIPIENTS Crime Bureau and Comms staff by e-mail (and inbox)."""
    users.add_user(cw, "bench.admin", roles=["channel_admin"], forces=["warwickshire"])
    for i in range(RECIPIENTS):
        role = "crime_bureau" if i % 2 else "comms"
        users.add_user(cw, f"bench.r{i}", roles=[role], forces=["warwickshire"], email=f"r{i}@police.example")
    admin = users.actor_for(cw, "bench.admin")
    for i in range(CASES):
        ref = _flagged(cw, admin, "warwickshire", f"n-{i}", f"<b>hostile</b> comment {i} " * 4, f"author{i}")
        actions.apply_trigger(cw, admin, ref, "start_review")
        actions.apply_trigger(cw, admin, ref, "refer", REFER)


def _requeue(cw) -> int:
    with cw.uow() as uow:
        count = uow.session.execute(
            update(Notification)
            .where(Notification.channel == "email", Notification.kind != "sla_warning")  # warnings may go stale
            .values(status="pending", attempts=0, sent_at=None, next_attempt_at=cw.now())
        ).rowcount
        uow.commit()
    return count


def _drain(cw, settings) -> int:
    sent = 0
    while (report := dispatch_pending(cw, limit=50, settings=settings)).claimed or report.inbox:
        sent += report.sent
    return sent


def _drain_process(url: str, port: int, ready, go, sent) -> None:
    """A dispatcher in its own process (as `casework worker` would be), on its own engine."""
    cw = bootstrap(Settings(database_url=url))
    settings = NotifySettings(smtp_port=port, message_id_domain="bench.example")
    ready.release()
    go.wait()
    done = _drain(cw, settings)
    with sent.get_lock():
        sent.value += done
    cw.engine.dispose()


def _processes(cw, port: int, count: int) -> tuple[int, float]:
    spawn = multiprocessing.get_context("spawn")
    ready, go, sent = spawn.Semaphore(0), spawn.Event(), spawn.Value("i", 0)
    url = cw.engine.url.render_as_string(hide_password=False)
    workers = [spawn.Process(target=_drain_process, args=(url, port, ready, go, sent)) for _ in range(count)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join()
    return sent.value, time.perf_counter() - start


def _raw_smtplib(cw, settings) -> tuple[int, float, float]:
    """The floor: the same messages, rendered and built beforehand, sent over one connection with plain smtplib
    (smtplib's send_message: serialising and SMTP are timed, as they are in dispatch)."""
    with cw.reader() as uow:
        from casework.storage.tables import Case, Comment, User

        rows = list(
            uow.session.execute(
                select(Notification, Case, Comment, User)
                .join(Case, Case.id == Notification.case_id)
                .join(Comment, Comment.case_id == Case.id)
                .join(User, User.id == Notification.recipient_id)
                .where(Notification.channel == "email")
            ).all()
        )
    labels, messages = Labels(cw.workflow, cw.settings.forces), []
    for n, case, comment, user in rows:
        r = render(n, context(n, case, comment, settings.base_url, labels))
        messages.append(
            build_message(
                settings,
                delivery_id=n.delivery_id,
                to=user.email,
                subject=r.subject,
                text=r.text,
                html=r.html,
                at=cw.now(),
            )
        )
    start, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return len(messages), time.perf_counter() - start, time.process_time() - cpu


def _at_defaults(cw, settings) -> tuple[int, float, float]:
    """What `casework worker` does: one dispatch_pending at its defaults per run, until nothing is due.
    Returns the e-mails sent, the seconds and this process's CPU seconds (the sink runs in its own)."""
    sent, start, cpu = 0, time.perf_counter(), time.process_time()
    while (report := dispatch_pending(cw, settings=settings)).claimed:
        sent += report.sent
    return sent, time.perf_counter() - start, time.process_time() - cpu


def _backlog(cw, rows: int) -> int:
    """`rows` referral e-mails already due, copies of a real one with new delivery ids."""
    with cw.uow() as uow:
        template = uow.session.execute(
            select(Notification).where(Notification.channel == "email").limit(1)
        ).scalar_one()
        fields = {c: getattr(template, c) for c in ("kind", "case_id", "channel", "recipient_id", "subject", "payload")}
        now = cw.now()
        uow.session.execute(
            insert(Notification),
            [
                {
                    **fields,
                    "delivery_id": uuid.uuid4().hex,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for _ in range(rows)
            ],
        )
        uow.commit()
    return rows


def _urgent_after_backlog(cw) -> None:
    """A threat-to-life referral and an SLA breach (its own force, swept a week on), written after the backlog."""
    admin = users.actor_for(cw, "bench.admin")
    ref = _flagged(cw, admin, "warwickshire", "urgent")
    actions.apply_trigger(cw, admin, ref, "start_review")
    actions.apply_trigger(cw, admin, ref, "refer", {**REFER, "threat_to_life": "yes"})
    for name, role in (("bench.wm.admin", "channel_admin"), ("bench.wm.lead", "supervisor")):
        users.add_user(cw, name, roles=[role], forces=["west_mercia"], email=f"{name}@police.example")
    _flagged(cw, users.actor_for(cw, "bench.wm.admin"), "west_mercia", "overdue")
    sweep_batch(cw, cw.now() + timedelta(days=7), "west_mercia")


def _time_to_urgent(cw, settings) -> dict[str, float]:
    """Seconds from the start of dispatch until every e-mail of each urgent kind is sent (NaN: never)."""
    _urgent_after_backlog(cw)
    start, seen = time.perf_counter(), {}

    def watch() -> None:
        while len(seen) < len(URGENT):
            with cw.reader() as uow:
                rows = uow.session.execute(
                    select(Notification.kind, Notification.status).where(
                        Notification.kind.in_(URGENT), Notification.channel == "email"
                    )
                ).all()
            for kind in set(URGENT) - set(seen):
                statuses = [status for k, status in rows if k == kind]
                assert statuses, f"no {kind} e-mail was written"
                if all(status == "sent" for status in statuses):
                    seen[kind] = time.perf_counter() - start
            time.sleep(0.02)

    with ThreadPoolExecutor(1) as pool:
        watching = pool.submit(watch)
        while len(seen) < len(URGENT) and dispatch_pending(cw, settings=settings).claimed:
            pass
        for kind in URGENT:
            seen.setdefault(kind, float("nan"))  # drained and never seen sent: the figure says so
        watching.result()
    return seen


def _threads(cw, settings, count, baseline: float) -> None:
    for threads in THREADS:
        queued, before, start = _requeue(cw), count.value, time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            sent = sum(pool.map(lambda _: _drain(cw, settings), range(threads)))
        msgs, received = rate(sent, time.perf_counter() - start), count.value - before
        assert sent == queued == received, (sent, queued, received)
        print(f"  dispatch_pending, {threads} thread(s): {msgs:8.0f} msg/s ({msgs / baseline:.2f}x baseline)")


def _defaults_against_raw(cw, settings) -> float:
    """The machine is shared: ROUNDS interleaved pairs (raw smtplib, then the defaults), the median ratio; also
    what load distorts less: CPU per e-mail in this process and SQL statements per e-mail."""
    ratios, cpu_ratios, statements, mailed = [], [], [0], 0

    def count(*_) -> None:
        statements[0] += 1

    for _ in range(ROUNDS):
        raw, raw_seconds, raw_cpu = _raw_smtplib(cw, settings)
        queued = _requeue(cw)
        event.listen(cw.engine, "before_cursor_execute", count)
        sent, seconds, cpu = _at_defaults(cw, settings)
        event.remove(cw.engine, "before_cursor_execute", count)
        assert sent == queued, (sent, queued)
        mailed += sent
        ratios.append(rate(sent, seconds) / rate(raw, raw_seconds))
        cpu_ratios.append((raw_cpu / raw) / (cpu / sent))
    ratio, d = statistics.median(ratios), NotifySettings()
    print(
        f"  at the defaults ({d.senders} senders, batches of 100, {d.pass_seconds:g} s a pass): {ratio:.2f}x raw "
        f"smtplib, median of {ROUNDS} interleaved rounds ({', '.join(f'{r:.2f}' for r in ratios)}); "
        f"target >= 0.5x: {'met' if ratio >= 0.5 else 'BELOW TARGET'}"
    )
    print(
        f"    CPU per e-mail here: raw smtplib {statistics.median(cpu_ratios):.2f}x of the defaults' (median); "
        f"SQL statements per e-mail at the defaults: {statements[0] / mailed:.2f}"
    )
    return ratio


def main() -> dict:
    port = free_port()
    ready, count = multiprocessing.Event(), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_sink, args=(port, ready, count), daemon=True)
    server.start()
    ready.wait(30)
    try:
        cw = _runtime()
        settings = NotifySettings(smtp_port=port, message_id_domain="bench.example")
        _referrals(cw)
        total, seconds, _ = _raw_smtplib(cw, settings)
        baseline = rate(total, seconds)
        print(f"database: {cw.engine.url.get_backend_name()}; {total} e-mails ({CASES} referrals x {RECIPIENTS})")
        print(f"  raw smtplib, pre-built messages, 1 connection: {baseline:8.0f} msg/s (baseline)")
        _threads(cw, settings, count, baseline)
        ratio = _defaults_against_raw(cw, settings)
        backlog = _backlog(cw, BACKLOG)
        urgent = _time_to_urgent(cw, settings)
        for kind, after in urgent.items():
            verdict = "met" if after < 30 else "BELOW TARGET"
            print(
                f"  {kind} e-mail behind a {backlog:,}-row backlog: sent after {after:.2f} s (target < 30 s: {verdict})"
            )
        _at_defaults(cw, settings)
        for processes in PROCESSES:
            queued, before = _requeue(cw), count.value
            sent, elapsed = _processes(cw, port, processes)
            msgs, received = rate(sent, elapsed), count.value - before
            assert sent == queued == received, (sent, queued, received)
            print(f"  dispatch_pending, {processes} process(es): {msgs:8.0f} msg/s ({msgs / baseline:.2f}x baseline)")
        cw.engine.dispose()
        return {"notify_defaults_ratio": round(ratio, 3), **{f"{k}_seconds": round(v, 2) for k, v in urgent.items()}}
    finally:
        server.terminate()
        server.join()
