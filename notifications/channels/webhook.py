"""Webhooks: a JSON POST signed with the endpoint's secret, with a delivery id the receiver can dedupe on."""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from typing import Any

from notifications.channels import DeliveryFailed, PermanentFailure

RETRYABLE = {408, 425, 429}


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the raw body, as the receiver recomputes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirected POST would lose its body; report the redirect instead


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, body: bytes, *, delivery_id: str, kind: str, timeout: float) -> int:
    """Deliver once; a 2xx answer is success, 4xx (but 408/425/429) can never succeed, the rest is retried."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "casework-notifications/1",
            "X-Casework-Event": kind,
            "X-Casework-Delivery": delivery_id,
            "X-Casework-Signature": signature(secret, body),
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(65536)
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        exc.close()
        error = PermanentFailure if 400 <= exc.code < 500 and exc.code not in RETRYABLE else DeliveryFailed
        raise error(f"HTTP {exc.code} from the endpoint") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None
