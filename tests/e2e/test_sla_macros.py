"""The SLA template macros the queue, case and dashboard pages include: colour and words together."""

from flask import render_template_string

from casework.cases import actions, stats
from casework.sla import queries
from tests.integration.sla_helpers import case_id

USE = '{% from "sla/macros.html" import clock_badge, clock_table, compliance_table %}'


def render(app, source, **context):
    with app.test_request_context():
        return render_template_string(USE + source, **context)


def test_a_case_shows_each_clock_with_time_left_or_overdue_in_words_and_colour(app, cw, make, clock):
    ref = make.case()
    clock.advance(hours=1, minutes=35)
    html = render(
        app, "{{ clock_table(views, now) }}", views=queries.case_clocks(cw, case_id(cw, ref)), now=clock.now()
    )
    assert '<span class="sla sla-overdue">overdue by 35 min</span>' in html
    assert '<span class="sla sla-running">due in 22 h 25 min</span>' in html
    assert "25 Nov 2026 10:00 GMT" in html  # due times in Europe/London


def test_the_queue_badge_names_the_soonest_clock(app, cw, make, clock):
    ref = make.case()
    clock.advance(minutes=50)
    view = queries.next_due(cw, [case_id(cw, ref)])[case_id(cw, ref)]
    html = render(app, "{{ clock_badge(view, now) }}", view=view, now=clock.now())
    assert 'class="sla sla-warning"' in html and "Review started</span> due in 10 min" in html


def test_the_dashboard_shows_compliance_per_clock_and_force(app, cw, make, clock):
    ref = make.case()
    clock.advance(minutes=30)
    actions.apply_trigger(cw, make.staff("admin"), ref, "start_review", {})
    clock.advance(days=1)
    html = render(app, "{{ compliance_table(rows) }}", rows=stats.compliance(cw, ("warwickshire",), clock.now()))
    assert "<td>Review started</td>" in html and "100% met" in html
    assert "1 overdue" in html  # the review decision, 4 hours, now a day old
