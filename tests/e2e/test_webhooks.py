"""Platform webhooks: signed samples accepted, bad signatures refused with nothing stored, changes recorded."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from casework.storage.tables import Case, CaseEvent, Comment
from tests.e2e.api_helpers import APP_SECRET, SAMPLES, VERIFY_TOKEN, WEBHOOK_CONFIG, WEBHOOK_TOKEN
from web import create_app

THREAT = "i know where you live, watch your back"


@pytest.fixture
def app(cw):
    return create_app({"CASEWORK": cw, "TESTING": True, **WEBHOOK_CONFIG})


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(client, platform: str, payload, signature: str | None = "auto", content_type="application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": content_type}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post(f"/api/v1/webhooks/{platform}", data=body, headers=headers)


def post_shared(client, platform: str, payload, token: str | None = WEBHOOK_TOKEN):
    headers = {"X-Casework-Token": token} if token is not None else {}
    return client.post(f"/api/v1/webhooks/{platform}", json=payload, headers=headers)


def counts(cw) -> tuple[int, int]:
    with cw.reader() as uow:
        return (
            uow.session.execute(select(func.count()).select_from(Case)).scalar_one(),
            uow.session.execute(select(func.count()).select_from(CaseEvent)).scalar_one(),
        )


def facebook_comment(verb="add", message=THREAT, comment_id="104567890123456_998877665544_112233445566"):
    payload = sample("facebook-feed-comment.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value.update(verb=verb, message=message, comment_id=comment_id)
    return payload


def test_the_subscription_check_echoes_the_challenge(client):
    response = client.get(
        "/api/v1/webhooks/facebook",
        query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200 and response.data == b"1158201444"
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {},
    ],
)
def test_a_subscription_check_with_the_wrong_token_is_refused(client, params):
    response = client.get("/api/v1/webhooks/facebook", query_string=params)
    assert response.status_code == 403 and response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "platform, name", [("facebook", "facebook-feed-comment.json"), ("instagram", "instagram-comment.json")]
)
def test_signed_samples_are_accepted_and_benign_comments_only_counted(client, cw, platform, name):
    response = post_signed(client, platform, sample(name))
    assert response.status_code == 200
    assert response.get_json()["received"]["comments"] == 1
    assert response.get_json()["received"]["not_flagged"] == 1
    assert counts(cw) == (0, 0)  # data minimisation: an unflagged comment leaves no trace


@pytest.mark.parametrize("platform, name", [("x", "x-v2-reply.json"), ("youtube", "youtube-comment-thread.json")])
def test_shared_secret_samples_are_accepted(client, cw, clock, platform, name):
    clock.advance(hours=3)  # the X sample was posted at 10:58
    response = post_shared(client, platform, sample(name))
    assert response.status_code == 200 and response.get_json()["received"]["not_flagged"] == 1
    assert counts(cw) == (0, 0)


def test_a_flagged_comment_becomes_a_case_that_names_the_rule(client, cw):
    response = post_signed(client, "facebook", facebook_comment())
    assert response.get_json()["received"]["flagged"] == 1
    with cw.reader() as uow:
        case, comment = uow.session.execute(select(Case, Comment).join(Comment)).one()
    assert case.detected_by == "detector:threat_intimidation" and case.force == "warwickshire"
    assert "malicious communication" in case.flag_reason and comment.text == THREAT
    assert case.channel == "Warwickshire Police (Facebook)" and comment.author_name == "Jane Example"


def test_a_redelivered_comment_does_not_open_or_reflag_a_case(client, cw):
    post_signed(client, "facebook", facebook_comment())
    before = counts(cw)
    again = post_signed(client, "facebook", facebook_comment())
    assert again.get_json()["received"]["already_cases"] == 1
    assert counts(cw) == before


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc", sign(b"{}")])
def test_missing_or_wrong_signatures_are_refused_and_nothing_is_stored(client, cw, signature):
    response = post_signed(client, "facebook", facebook_comment(), signature=signature)
    assert response.status_code == (401 if not signature else 403)
    assert response.content_type == "application/problem+json"
    assert counts(cw) == (0, 0)


def test_a_replayed_signature_with_an_altered_body_is_refused(client, cw):
    original = json.dumps(sample("facebook-feed-comment.json")).encode()
    altered = json.dumps(facebook_comment()).encode()
    assert post_signed(client, "facebook", altered, signature=sign(original)).status_code == 403
    assert counts(cw) == (0, 0)


def test_instagram_needs_the_signature_too(client, cw):
    payload = sample("instagram-comment.json")
    payload["entry"][0]["changes"][0]["value"]["text"] = THREAT
    assert post_signed(client, "instagram", payload, signature=None).status_code == 401
    assert post_signed(client, "instagram", payload, signature=sign(b"x")).status_code == 403
    assert counts(cw) == (0, 0)
    assert post_signed(client, "instagram", payload).get_json()["received"]["flagged"] == 1


@pytest.mark.parametrize("token, status", [(None, 401), ("", 401), ("wrong", 403)])
def test_shared_secret_webhooks_refuse_a_wrong_or_missing_token(client, cw, token, status):
    payload = sample("youtube-comment-thread.json")
    payload["snippet"]["topLevelComment"]["snippet"]["textOriginal"] = THREAT
    assert post_shared(client, "youtube", payload, token).status_code == status
    assert counts(cw) == (0, 0)


def test_malformed_json_wrong_type_and_huge_bodies_get_clear_4xx(client, cw):
    bad = post_signed(client, "facebook", b'{"object": "page", ')
    assert bad.status_code == 400 and "not valid JSON" in bad.get_json()["detail"]
    assert post_signed(client, "facebook", b"object=page", content_type="text/plain").status_code == 415
    huge = post_signed(client, "facebook", b"{" + b" " * (10 * 1024 * 1024) + b"}")
    assert huge.status_code == 413 and huge.content_type == "application/problem+json"
    assert counts(cw) == (0, 0)


@pytest.mark.parametrize(
    "payload, where",
    [
        ({"object": "user", "entry": []}, "object"),
        ({"object": "page", "entry": [{"changes": []}]}, "entry[0].id"),
        (
            {"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": {"item": "comment"}}]}]},
            "entry[0].changes[0].value.verb",
        ),
    ],
)
def test_malformed_payloads_are_refused_naming_the_place(client, payload, where):
    response = post_signed(client, "facebook", payload)
    assert response.status_code == 422 and where in response.get_json()["detail"]


def test_a_payload_for_an_unconfigured_page_is_refused_whole(client, cw):
    payload = facebook_comment()
    other = json.loads(json.dumps(payload["entry"][0]))
    other["id"] = "999"
    payload["entry"].append(other)
    response = post_signed(client, "facebook", payload)
    assert response.status_code == 422 and "'999' is not a configured channel" in response.get_json()["detail"]
    assert counts(cw) == (0, 0)


def test_edits_and_removals_are_recorded_on_the_case_and_the_evidence_never_changes(client, cw):
    post_signed(client, "facebook", facebook_comment())
    with cw.reader() as uow:
        case, comment = uow.session.execute(select(Case, Comment).join(Comment)).one()
    post_signed(client, "facebook", facebook_comment(verb="edited", message="sorry, I was angry"))
    post_signed(client, "facebook", facebook_comment(verb="edited", message="sorry, I was angry"))  # redelivery
    post_signed(client, "facebook", facebook_comment(verb="hide", message=None))
    post_signed(client, "facebook", facebook_comment(verb="remove", message=None))
    with cw.reader() as uow:
        events = (
            uow.session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
            .scalars()
            .all()
        )
        after = uow.session.get(Comment, case.id)
    assert [e.action for e in events] == ["flagged", "platform_edit", "platform_hidden", "platform_removed"]
    edit = events[1].data
    assert edit["text_sha256"] == hashlib.sha256(b"sorry, I was angry").hexdigest()
    assert "sorry" not in json.dumps([e.data for e in events]) and events[1].actor == "system:facebook"
    assert (after.text, after.digest) == (THREAT, comment.digest)


def test_changes_to_comments_that_are_not_cases_store_nothing(client, cw):
    response = post_signed(client, "facebook", facebook_comment(verb="edited", message="anything"))
    assert response.get_json()["received"]["changes_ignored"] == 1
    assert counts(cw) == (0, 0)


def test_an_x_edit_is_recorded_on_the_original_posts_case(client, cw, clock):
    clock.advance(hours=3)
    first = sample("x-v2-reply.json")
    first["data"]["text"] = "@ExampleForce " + THREAT
    assert post_shared(client, "x", first).get_json()["received"]["flagged"] == 1
    edited = json.loads(json.dumps(first))
    edited["data"].update(
        id="1861234567890999999",
        text="@ExampleForce calm now",
        edit_history_tweet_ids=["1861234567890123456", "1861234567890999999"],
    )
    body = post_shared(client, "x", edited).get_json()["received"]
    assert body["changes_recorded"] == 1 and body["not_flagged"] == 1
