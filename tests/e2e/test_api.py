"""The JSON API: every endpoint for every role, idempotent flags, conflicts, refusals, tokens, errors."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from casework.access import tokens
from tests.e2e.api_helpers import Bearer
from tests.factories import ADVICE, REFER

KINDS = ("admin", "bureau", "comms", "supervisor", "auditor")


@pytest.fixture
def bearer(cw, make):
    return Bearer(cw, make)


def _flag(client, make, headers, **overrides):
    return client.post("/api/v1/flags", json=make.flag_payload(**overrides), headers=headers)


# (endpoint, expected status per kind) — the same rules as the UI, from the same services.
MATRIX = {
    "flag": {"admin": 201, "bureau": 403, "comms": 403, "supervisor": 403, "auditor": 403},
    "list": dict.fromkeys(KINDS, 200),
    "show": dict.fromkeys(KINDS, 200),
    "start_review": {"admin": 200, "bureau": 403, "comms": 403, "supervisor": 403, "auditor": 403},
    "history": dict.fromkeys(KINDS, 200),
    "verify": {"admin": 403, "bureau": 403, "comms": 403, "supervisor": 200, "auditor": 200},
}


def _call(client, make, endpoint, ref, headers):
    if endpoint == "flag":
        return _flag(client, make, headers)
    if endpoint == "list":
        return client.get("/api/v1/cases", headers=headers)
    if endpoint == "show":
        return client.get(f"/api/v1/cases/{ref}", headers=headers)
    if endpoint == "start_review":
        return client.post(
            f"/api/v1/cases/{ref}/transitions", json={"trigger": "start_review", "version": 1}, headers=headers
        )
    if endpoint == "history":
        return client.get(f"/api/v1/cases/{ref}/history", headers=headers)
    return client.get("/api/v1/audit/verify", headers=headers)


@pytest.mark.parametrize("endpoint", MATRIX)
@pytest.mark.parametrize("kind", KINDS)
def test_each_endpoint_allows_exactly_the_roles_the_workflow_names(client, make, bearer, endpoint, kind):
    ref = make.case()
    response = _call(client, make, endpoint, ref, bearer(kind))
    assert response.status_code == MATRIX[endpoint][kind], response.get_json()
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("endpoint", ["show", "start_review", "history"])
def test_a_case_of_another_force_answers_like_an_unknown_one(client, make, bearer, endpoint):
    ref = make.case(force="west_mercia")
    token = bearer("admin", "warwickshire")
    response = _call(client, make, endpoint, ref, token)
    unknown = _call(client, make, endpoint, "WM-2026-999999", token)
    assert response.status_code == unknown.status_code == 404
    assert response.get_json()["detail"].replace(ref, "WM-2026-999999") == unknown.get_json()["detail"]
    assert "west_mercia" not in response.get_data(as_text=True)


def test_a_flag_from_another_force_is_refused(client, make, bearer):
    response = _flag(client, make, bearer("admin", "warwickshire"), force="west_mercia")
    assert response.status_code == 403


def test_listing_shows_only_the_callers_forces(client, make, bearer):
    make.case(force="warwickshire")
    make.case(force="west_mercia")
    body = client.get("/api/v1/cases", headers=bearer("admin", "west_mercia")).get_json()
    assert [c["force"] for c in body["items"]] == ["west_mercia"]


def test_flagging_is_idempotent_201_then_200_with_the_same_case(client, make, bearer):
    payload = make.flag_payload()
    first = client.post("/api/v1/flags", json=payload, headers=bearer("admin"))
    again = client.post("/api/v1/flags", json=payload, headers=bearer("admin"))
    assert first.status_code == 201 and again.status_code == 200
    assert first.headers["Location"] == f"/api/v1/cases/{first.get_json()['reference']}"
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert "Location" not in again.headers


def test_a_bad_flag_gets_422_with_every_field_problem(client, bearer):
    response = client.post(
        "/api/v1/flags", json={"force": "nowhere", "platform": "myspace", "extra": 1}, headers=bearer("admin")
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"force", "platform", "extra", "text", "permalink", "external_id", "reason", "channel"} <= set(errors)


def test_case_detail_has_evidence_version_and_trigger_schemas_from_the_declaration(client, make, bearer):
    ref = make.case("admin_review", text="<script>alert(1)</script>")
    body = client.get(f"/api/v1/cases/{ref}", headers=bearer("admin")).get_json()
    assert body["evidence"]["text"] == "<script>alert(1)</script>"  # JSON is data: stored and sent as given
    assert body["version"] == 2 and body["state"] == "admin_review"
    triggers = {t["trigger"]: t for t in body["available_triggers"]}
    assert set(triggers) == {"dismiss", "refer", "moderate"}
    dismiss = triggers["dismiss"]["inputs"]
    assert dismiss["properties"]["reason_code"]["enum"] == ["false_positive", "duplicate", "spam", "out_of_scope"]
    assert dismiss["required"] == ["reason_code", "note"]
    refer = triggers["refer"]["inputs"]
    assert {
        "if": {"properties": {"category": {"contains": {"enum": ["hate_crime"]}}}, "required": ["category"]},
        "then": {"required": ["strands"]},
    } in refer["allOf"]


def test_close_offers_only_the_actions_the_platform_supports(client, make, bearer):
    ref = make.case("comms_action", platform="youtube")
    body = client.get(f"/api/v1/cases/{ref}", headers=bearer("comms")).get_json()
    close = next(t for t in body["available_triggers"] if t["trigger"] == "close")
    assert "rejected" in close["inputs"]["properties"]["actions"]["items"]["enum"]
    assert "deleted" not in close["inputs"]["properties"]["actions"]["items"]["enum"]


def test_a_transition_returns_the_new_state_and_version(client, make, bearer):
    ref = make.case("admin_review")
    response = client.post(
        f"/api/v1/cases/{ref}/transitions",
        headers=bearer("admin"),
        json={"trigger": "refer", "inputs": REFER, "version": 2},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["from_state"], body["state"], body["version"]) == ("admin_review", "crime_bureau_advice", 3)


def test_a_stale_version_gets_409_with_the_current_version(client, make, bearer):
    ref = make.case("admin_review")
    response = client.post(
        f"/api/v1/cases/{ref}/transitions",
        headers=bearer("admin"),
        json={"trigger": "refer", "inputs": REFER, "version": 1},
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["current_version"] == 2 and body["status"] == 409
    assert response.content_type == "application/problem+json"


def test_bad_inputs_get_422_with_per_field_errors(client, make, bearer):
    ref = make.case("admin_review")
    response = client.post(
        f"/api/v1/cases/{ref}/transitions",
        headers=bearer("admin"),
        json={"trigger": "refer", "inputs": {"category": ["hate_crime"], "bogus": 1}, "version": 2},
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"bogus", "strands", "threat_to_life", "note"}


def test_a_failed_guard_gets_422_naming_the_rule(client, make, bearer, cw):
    both = make.user("both.roles", ["channel_admin", "crime_bureau"])
    secret = tokens.issue_token(cw, both.username).secret
    headers = {"Authorization": f"Bearer {secret}"}
    ref = make.case("admin_review")
    client.post(
        f"/api/v1/cases/{ref}/transitions", headers=headers, json={"trigger": "refer", "inputs": REFER, "version": 2}
    )
    response = client.post(
        f"/api/v1/cases/{ref}/transitions",
        headers=headers,
        json={"trigger": "give_advice", "inputs": ADVICE, "version": 3},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert "refer" in body["errors"]["trigger"] and body["allowed"] == ["request_information"]


def test_a_trigger_from_the_wrong_state_gets_422_with_what_is_allowed(client, make, bearer):
    ref = make.case()
    response = client.post(
        f"/api/v1/cases/{ref}/transitions",
        headers=bearer("admin"),
        json={"trigger": "dismiss", "inputs": {}, "version": 1},
    )
    assert response.status_code == 422
    assert response.get_json()["allowed"] == ["start_review"]


def test_a_transition_body_is_checked_before_anything_happens(client, make, bearer):
    ref = make.case()
    response = client.post(
        f"/api/v1/cases/{ref}/transitions",
        headers=bearer("admin"),
        json={"trigger": "", "inputs": [], "version": "1", "extra": True},
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"trigger", "inputs", "version", "extra"}


def test_history_lists_the_events_oldest_first(client, make, bearer):
    ref = make.case("admin_review")
    events = client.get(f"/api/v1/cases/{ref}/history", headers=bearer("auditor")).get_json()["events"]
    assert [e["action"] for e in events] == ["flagged", "transition"]


def test_history_pages_follow_the_chain_to_the_last_event(client, make, bearer):
    ref, headers = make.case("closed"), bearer("auditor")
    first = client.get(f"/api/v1/cases/{ref}/history?limit=2", headers=headers).get_json()
    assert [e["action"] for e in first["events"]] == ["flagged", "transition"] and first["more"] is True
    path, _, query = first["links"]["next"].partition("?")
    assert path == f"/api/v1/cases/{ref}/history"
    assert parse_qs(query) == {"limit": ["2"], "after": [str(first["events"][-1]["seq"])]}
    seen, page = first["events"], first
    while "next" in page["links"]:
        page = client.get(page["links"]["next"], headers=headers).get_json()
        seen += page["events"]
    # the five events of the closed case, then the first page's own view: each page is a consultation
    assert [e["action"] for e in seen] == ["flagged"] + ["transition"] * 4 + ["viewed"] * (len(seen) - 5)
    assert [e["seq"] for e in seen] == sorted({e["seq"] for e in seen}) and page["more"] is False


@pytest.mark.parametrize(
    "query, field",
    [
        ("after=-1", "after"),
        ("after=x", "after"),
        ("after=1" + "0" * 19, "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=2.5", "limit"),
        ("page=2", "query"),
    ],
)
def test_a_bad_history_page_is_refused_with_the_field_named(client, make, bearer, query, field):
    response = client.get(f"/api/v1/cases/{make.case()}/history?{query}", headers=bearer("auditor"))
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {field}


def test_audit_verify_reports_an_intact_chain(client, make, bearer):
    make.case("closed")
    body = client.get("/api/v1/audit/verify", headers=bearer("auditor")).get_json()
    assert body["ok"] is True and body["count"] > 5


def test_listing_filters_and_pages_with_links(client, make, bearer):
    refs = [make.case() for _ in range(5)]
    make.case("admin_review")
    headers = bearer("admin")
    first = client.get("/api/v1/cases?state=detected&per_page=2", headers=headers).get_json()
    page = client.get(first["links"]["next"], headers=headers).get_json()
    assert [c["reference"] for c in page["items"]] == refs[2:4]
    assert _query(page["links"]["next"]) == {"state": ["detected"], "per_page": ["2"], "after": [page["next"]]}
    mine = client.get("/api/v1/cases?assignee=me", headers=headers).get_json()
    assert [c["state"] for c in mine["items"]] == ["admin_review"]
    assert len(client.get("/api/v1/cases?assignee=none", headers=headers).get_json()["items"]) == 5


def _query(link: str) -> dict:
    path, _, query = link.partition("?")
    assert path == "/api/v1/cases"
    return parse_qs(query)


def test_an_unknown_assignee_matches_nothing(client, make, bearer):
    make.case()
    assert client.get("/api/v1/cases?assignee=nobody", headers=bearer("admin")).get_json()["items"] == []


@pytest.mark.parametrize("query", ["state=limbo", "page=0", "page=x", "per_page=1000"])
def test_bad_list_parameters_get_422(client, bearer, query):
    response = client.get(f"/api/v1/cases?{query}", headers=bearer("admin"))
    assert response.status_code == 422 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cw_not-a-real-token", "Basic dXNlcjpwYXNz", "Token x"])
def test_missing_or_unknown_tokens_get_401_with_a_bearer_challenge(client, header):
    response = client.get("/api/v1/cases", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.content_type == "application/problem+json"


def test_a_revoked_token_gets_401(client, make, cw):
    make.staff("admin")
    issued = tokens.issue_token(cw, "wa.admin", "laptop")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    tokens.revoke_token(cw, issued.id)
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_only_the_hash_of_a_token_is_stored_and_use_is_noted(cw, make, client, clock):
    make.staff("admin")
    issued = tokens.issue_token(cw, "wa.admin")
    clock.advance(minutes=5)
    client.get("/api/v1/cases", headers={"Authorization": f"Bearer {issued.secret}"})
    [(token, owner)] = tokens.list_tokens(cw, "wa.admin")
    assert owner == "wa.admin" and token.token_hash == tokens.hash_token(issued.secret)
    assert issued.secret not in repr(token.model_dump()) and token.last_used_at == clock.now()


def test_unknown_paths_and_methods_are_problems(client, bearer):
    missing = client.get("/api/v1/nothing-here", headers=bearer("admin"))
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong = client.delete("/api/v1/flags", headers=bearer("admin"))
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    assert wrong.content_type == "application/problem+json"
    assert client.get("/api/v1/cases/WK-2026-999999", headers=bearer("admin")).status_code == 404


def test_bodies_that_are_not_json_objects_are_refused_clearly(client, bearer):
    headers = bearer("admin")
    malformed = client.post(
        "/api/v1/flags", data=b'{"force": ', headers={**headers, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and "not valid JSON" in malformed.get_json()["detail"]
    wrong_type = client.post(
        "/api/v1/flags", data="force=x", headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert wrong_type.status_code == 415
    not_object = client.post("/api/v1/flags", json=[1, 2], headers=headers)
    assert not_object.status_code == 422
    huge = client.post(
        "/api/v1/flags",
        data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.content_type == "application/problem+json"


def test_the_openapi_document_is_public_and_derives_trigger_inputs_from_the_workflow(client, cw):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    variants = doc["components"]["schemas"]["TransitionRequest"]["oneOf"]
    assert [v["properties"]["trigger"]["const"] for v in variants] == list(cw.workflow.triggers)
    close = next(v for v in variants if v["title"] == "close")
    assert close["properties"]["inputs"]["required"] == ["actions", "note"]
    assert doc["components"]["schemas"]["FlagRequest"]["properties"]["force"]["enum"] == sorted(cw.settings.forces)
