"""The scheduler's dispatch job delivers the outbox in real time, as `casework worker` and `serve` run it."""

from casework.bootstrap import bootstrap
from casework.cases.actions import apply_trigger
from casework.entrypoints import scheduler as sched
from casework.intake import flags as intake
from tests.factories import REFER
from tests.notify_support import rows
from tests.polling import wait_for


def test_the_dispatch_job_runs_on_its_interval_and_delivers_the_outbox(cw, make, staff, smtp_server, monkeypatch):
    monkeypatch.setenv("CASEWORK_SMTP_PORT", str(smtp_server.port))
    ann = staff.add("ann", "channel_admin")
    staff.add("ben", "crime_bureau")
    ref = intake.flag_comment(cw, ann, make.flag_payload()).case.reference
    apply_trigger(cw, ann, ref, "start_review")
    apply_trigger(cw, ann, ref, "refer", REFER)
    live = bootstrap(cw.settings, engine=cw.engine)  # the real clock, like a worker process
    jobs = [j for j in sched.JOBS if j.id == "notifications.dispatch"]
    scheduler = sched.build_scheduler(live, blocking=False, env={"CASEWORK_NOTIFY_DISPATCH_SECONDS": "0.2"}, jobs=jobs)
    scheduler.start()
    try:
        wait_for(lambda: all(r.status == "sent" for r in rows(cw)))
    finally:
        scheduler.shutdown(wait=True)
    assert [rcpts for rcpts, _ in smtp_server.messages] == [["ben@police.example"]]
