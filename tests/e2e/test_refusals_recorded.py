"""SPEC §3: every refusal is in the case's history (who tried what, why), whichever door it came through."""

import pytest
from sqlalchemy import select

from casework.cases import actions
from casework.errors import PermissionDenied, ValidationError
from casework.storage.tables import Case, CaseEvent
from tests.e2e.api_helpers import Bearer


@pytest.fixture
def bearer(cw, make):
    return Bearer(cw, make)


def refusals(cw, reference):
    with cw.reader() as uow:
        query = (
            select(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.reference == reference, CaseEvent.action == "refused")
            .order_by(CaseEvent.seq)
        )
        return [(e.actor, e.data["attempted"], e.data["refusal"]) for e in uow.session.execute(query).scalars()]


def test_an_unknown_step_posted_on_the_web_is_refused_and_recorded(cw, make, client, auth):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    response = client.post(f"/cases/{ref}/transitions/to_closed", data={"version": "2"})
    assert response.status_code == 404
    assert refusals(cw, ref) == [("wa.admin", "to_closed", "NotFound")]


def test_a_web_form_without_its_version_is_refused_and_recorded(cw, make, client, auth):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    assert client.post(f"/cases/{ref}/transitions/dismiss", data={"reason_code": "spam"}).status_code == 400
    assert client.post(f"/cases/{ref}/assign", data={"assignee": ""}).status_code == 400
    assert refusals(cw, ref) == [("wa.admin", "dismiss", "ValidationError"), ("wa.admin", "assign", "ValidationError")]


@pytest.mark.parametrize(
    "body,attempted",
    [
        ({"trigger": "dismiss", "inputs": {}}, "dismiss"),  # no version
        ({"trigger": "dismiss", "version": 2, "inputs": []}, "dismiss"),
        ({"version": 2}, "transition"),
    ],
)
def test_a_malformed_api_body_is_refused_and_recorded(cw, make, client, bearer, body, attempted):
    ref = make.case("admin_review")
    response = client.post(f"/api/v1/cases/{ref}/transitions", json=body, headers=bearer("admin"))
    assert response.status_code == 422
    assert refusals(cw, ref) == [("wa.admin", attempted, "ValidationError")]


def test_api_bodies_that_are_not_json_are_refused_and_recorded(cw, make, client, bearer):
    ref = make.case("admin_review")
    headers = bearer("admin")
    assert client.post(f"/api/v1/cases/{ref}/transitions", data="{", headers=headers).status_code == 415
    response = client.post(
        f"/api/v1/cases/{ref}/transitions", data="{", headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert [r[2] for r in refusals(cw, ref)] == ["ValidationError", "MalformedJSON"]


def test_refused_comments_and_links_are_recorded(cw, make):
    ref, auditor = make.case("admin_review"), make.staff("auditor")
    with pytest.raises(ValidationError):
        actions.add_comment(cw, make.staff("admin"), ref, "   ")
    with pytest.raises(PermissionDenied):
        actions.add_comment(cw, auditor, ref, "a note")
    with pytest.raises(ValidationError):
        actions.link_cases(cw, make.staff("admin"), ref, ref)
    assert refusals(cw, ref) == [
        ("wa.admin", "comment", "ValidationError"),
        ("wa.auditor", "comment", "PermissionDenied"),
        ("wa.admin", "link", "ValidationError"),
    ]
