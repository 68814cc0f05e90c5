"""DPA 2018 s.62 on the working surfaces: the case page and the API log each read; redacted text stays gone."""

import pytest
from sqlalchemy import select

from casework.audit import retention
from casework.cases import actions
from casework.storage.tables import CaseEvent
from tests.e2e.api_helpers import Bearer

TEXT = "I know where you live, officer"


@pytest.fixture
def bearer(cw, make):
    return Bearer(cw, make)


def views(cw):
    with cw.reader() as uow:
        return [
            (e.actor, e.data["via"], e.data["reference"])
            for e in uow.session.execute(
                select(CaseEvent).where(CaseEvent.action == "viewed").order_by(CaseEvent.seq)
            ).scalars()
        ]


def test_each_case_page_view_is_logged(client, cw, make, auth):
    ref = make.case()
    auth.as_actor(make.staff("admin"))
    assert client.get(f"/cases/{ref}").status_code == 200
    assert views(cw) == [("wa.admin", "web", ref)]


def test_each_api_read_of_a_case_or_its_history_is_logged(client, cw, make, bearer):
    ref = make.case()
    assert client.get(f"/api/v1/cases/{ref}", headers=bearer("comms")).status_code == 200
    assert client.get(f"/api/v1/cases/{ref}/history", headers=bearer("comms")).status_code == 200
    assert views(cw) == [("wa.comms", "api", ref)] * 2


def test_a_refused_read_is_not_a_consultation(client, cw, make, bearer):
    ref = make.case(force="west_mercia")
    assert client.get(f"/api/v1/cases/{ref}", headers=bearer("comms")).status_code == 404  # as if unknown
    assert views(cw) == []


def test_redacted_text_is_not_shown_on_the_case_page_or_by_the_api(client, cw, make, clock, auth, bearer):
    ref = make.case("admin_review", text=TEXT, author_name="Jo Bloggs")
    actions.apply_trigger(cw, make.staff("admin"), ref, "dismiss", {"reason_code": "spam", "note": "spam"})
    clock.advance(days=366)
    assert retention.run_retention(cw).redacted == [ref]
    auth.as_actor(make.staff("supervisor"))
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    api = client.get(f"/api/v1/cases/{ref}", headers=bearer("comms")).get_data(as_text=True)
    for body in (page, api):
        assert TEXT not in body and "author_one" not in body and "Jo Bloggs" not in body
    assert "redacted" in page
