"""Webhooks reach a real local HTTP server, signed with the endpoint's secret and carrying a delivery id."""

import hashlib
import hmac
import json

import pytest

from casework.cases.actions import apply_trigger
from casework.intake import flags as intake
from casework.notify.endpoints import add_webhook
from notifications.dispatch import dispatch_pending
from tests.factories import REFER
from tests.notify_support import free_port, rows

SECRET = "a-shared-secret-of-some-length"


@pytest.fixture
def referral(cw, make, staff):
    ann = staff.add("ann", "channel_admin")
    ref = intake.flag_comment(cw, ann, make.flag_payload(text="<script>nasty</script>")).case.reference
    apply_trigger(cw, ann, ref, "start_review")
    return lambda **inputs: apply_trigger(cw, ann, ref, "refer", {**REFER, **inputs})


def test_a_webhook_is_a_signed_json_post_with_a_delivery_id(cw, referral, webhook_receiver, smtp_server):
    endpoint = add_webhook(cw, "warwickshire", "comms", webhook_receiver.url, SECRET)
    referral()
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert report.sent == 1
    ((headers, body),) = webhook_receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Casework-Signature"], expected)
    (row,) = rows(cw, channel="webhook")
    assert row.endpoint_id == endpoint.id and row.status == "sent"
    assert headers["X-Casework-Delivery"] == row.delivery_id and headers["X-Casework-Event"] == "referral"
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["reference"] == "WK-2026-000001" and payload["kind"] == "referral"
    assert payload["delivery_id"] == row.delivery_id and payload["url"].endswith("/cases/WK-2026-000001")
    assert "nasty" not in body.decode()  # the comment stays in casework


def test_a_server_error_is_retried_and_a_client_error_is_a_dead_letter(
    cw, referral, webhook_receiver, smtp_server, clock
):
    add_webhook(cw, "warwickshire", "comms", webhook_receiver.url, SECRET)
    referral()
    webhook_receiver.status = 503
    assert dispatch_pending(cw, settings=smtp_server.settings()).failed == 1
    assert "HTTP 503" in rows(cw, channel="webhook")[0].last_error
    clock.advance(minutes=1)
    webhook_receiver.status = 410
    assert dispatch_pending(cw, settings=smtp_server.settings()).dead == 1
    delivery_ids = {h["X-Casework-Delivery"] for h, _ in webhook_receiver.requests}
    assert len(webhook_receiver.requests) == 2 and len(delivery_ids) == 1  # the same delivery, tried twice


def test_an_unreachable_endpoint_is_retried_later(cw, referral, smtp_server):
    add_webhook(cw, "warwickshire", "supervisor", f"http://127.0.0.1:{free_port()}/x", SECRET)
    referral(threat_to_life="yes")
    report = dispatch_pending(cw, settings=smtp_server.settings())
    assert report.failed == 1 and rows(cw, channel="webhook")[0].kind == "threat_to_life"
