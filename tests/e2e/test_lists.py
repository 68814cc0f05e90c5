"""The queue and the audit log: whose cases, in which order, filtered and paginated."""

import re

from casework.cases import actions


def _refs(page):
    return re.findall(r'<td><a href="/cases/([A-Z]+-\d{4}-\d{6})">', page)


def test_the_queue_holds_the_stages_my_roles_own(client, auth, make, clock):
    detected = make.case("detected")
    clock.advance(minutes=5)
    advice = make.case("crime_bureau_advice")
    clock.advance(minutes=5)
    review = make.case("admin_review")
    make.case("closed")
    auth.as_actor(make.staff("admin"))
    assert _refs(client.get("/queue").get_data(as_text=True)) == [detected, review]
    auth.as_actor(make.staff("bureau"))
    assert _refs(client.get("/queue").get_data(as_text=True)) == [advice]


def test_the_queue_puts_the_soonest_deadline_first_and_shows_it(client, auth, make, clock):
    in_review = make.case("admin_review")  # review decision due in 4 h
    clock.advance(minutes=10)
    fresh = make.case("detected")  # review start due in 1 h: sooner, although detected later
    clock.advance(minutes=40)
    auth.as_actor(make.staff("admin"))
    page = client.get("/queue").get_data(as_text=True)
    assert _refs(page) == [fresh, in_review]
    assert "Review started</span> due in 20 min" in page and "Review decision</span> due in 3 h 10 min" in page


def test_supervisors_see_every_open_stage_and_are_sent_to_all_cases_for_closed_ones(client, auth, make):
    refs = [make.case(state) for state in ("detected", "crime_bureau_advice", "comms_action", "closed")]
    auth.as_actor(make.staff("supervisor"))
    assert _refs(client.get("/queue").get_data(as_text=True)) == refs[:3]
    response = client.get("/queue?state=closed")
    assert response.status_code == 302 and response.headers["Location"] == "/cases?state=closed"
    assert _refs(client.get(response.headers["Location"]).get_data(as_text=True)) == refs[3:]


def test_the_queue_shows_only_my_forces(client, auth, make):
    mine = make.case("detected")
    make.case("detected", force="west_mercia")
    auth.as_actor(make.staff("admin"))
    assert _refs(client.get("/queue").get_data(as_text=True)) == [mine]
    assert client.get("/queue?force=west_mercia").status_code == 422


def test_the_queue_filters_by_assignee(cw, client, auth, make):
    admin = make.staff("admin")
    taken = make.case("admin_review")  # start_review assigned it to the admin
    free = make.case("detected")
    other = make.case("admin_review")
    actions.assign(cw, admin, other, None)
    auth.as_actor(admin)
    assert _refs(client.get("/queue?assignee=mine").get_data(as_text=True)) == [taken]
    assert _refs(client.get("/queue?assignee=unassigned").get_data(as_text=True)) == [free, other]
    assert _refs(client.get(f"/queue?assignee={admin.username}").get_data(as_text=True)) == [taken]


def test_the_queue_is_paginated(client, auth, make):
    refs = [make.case("detected") for _ in range(27)]
    auth.as_actor(make.staff("admin"))
    first = client.get("/queue").get_data(as_text=True)
    assert _refs(first) == refs[:25] and "Page 1 of 2" in first
    assert _refs(client.get("/queue?page=2").get_data(as_text=True)) == refs[25:]


def test_an_assignee_queue_counts_only_so_far_and_says_there_are_more(client, auth, make, monkeypatch):
    from casework.cases import queue

    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    refs = [make.case("detected") for _ in range(3)]
    auth.as_actor(make.staff("admin"))
    page = client.get("/queue?assignee=unassigned").get_data(as_text=True)
    assert "2+ cases" in page and "Page 1 of 2" in page and _refs(page) == refs


def test_the_queue_takes_its_total_from_the_tallies_not_a_count_of_cases(cw, make):
    from sqlalchemy import event

    from casework.cases import queue

    for state in ("detected", "admin_review", "admin_review", "closed"):
        make.case(state)
    make.case("detected", force="west_mercia")
    admin = make.staff("admin")
    seen: list[str] = []

    def keep(conn, cursor, statement, *args):
        seen.append(statement.upper())

    event.listen(cw.engine, "before_cursor_execute", keep)
    try:
        page = queue.team_queue(cw, admin, queue.QueueFilter())
    finally:
        event.remove(cw.engine, "before_cursor_execute", keep)
    assert page.total == 3 and len(page.rows) == 3
    assert not [s for s in seen if "COUNT(" in s and "FROM CASES" in s]


def test_the_audit_log_filters_by_case_user_action_and_date(cw, client, auth, make, clock):
    one = make.case("admin_review")
    clock.advance(days=2)
    two = make.case("detected")
    auth.as_actor(make.staff("auditor"))
    by_case = client.get(f"/audit?reference={one}").get_data(as_text=True)
    assert f"/cases/{one}" in by_case and f"/cases/{two}" not in by_case and "2 events." in by_case
    by_action = client.get("/audit?action=transition&user=wa.admin").get_data(as_text=True)
    assert "1 event." in by_action and "Start review" in by_action
    by_day = client.get("/audit?since=2026-11-27&until=2026-11-27").get_data(as_text=True)
    assert f"/cases/{two}" in by_day and f"/cases/{one}" not in by_day


def test_the_audit_log_refuses_a_bad_date_range(client, auth, make):
    auth.as_actor(make.staff("auditor"))
    response = client.get("/audit?since=2026-11-27&until=2026-11-20")
    assert response.status_code == 422 and "must not be before the start date" in response.get_data(as_text=True)
    assert client.get("/audit?since=yesterday").status_code == 422


def test_a_supervisor_reads_only_their_forces_events(client, auth, make):
    make.case("detected", force="west_mercia")
    mine = make.case("detected")
    auth.as_actor(make.staff("supervisor"))
    page = client.get("/audit").get_data(as_text=True)
    assert f"/cases/{mine}" in page and "WM-" not in page


def test_both_ways_of_reading_a_queue_page_agree(cw, make, clock, monkeypatch):
    from casework.cases import queue

    for n in range(12):
        make.case(("detected", "admin_review", "crime_bureau_advice")[n % 3])
        clock.advance(minutes=7)
    supervisor = make.staff("supervisor")

    def pages():
        return [
            [r.reference for r in queue.team_queue(cw, supervisor, queue.QueueFilter(page=p, per_page=5)).rows]
            for p in (1, 2, 3)
        ]

    sorted_in_the_database = pages()
    monkeypatch.setattr(queue, "DRIVE_FROM_CLOCKS", 0)  # walk the deadline index instead
    assert pages() == sorted_in_the_database and sum(map(len, sorted_in_the_database)) == 12
