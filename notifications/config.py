"""Delivery settings: defaults in code, overrides from CASEWORK_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.utils import parseaddr
from typing import Any

from casework.errors import ValidationError

SECURITY = ("none", "starttls", "tls")
MAX_TIMEOUT = 600.0  # seconds; a delivery that waits longer holds its lease and the dispatcher


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | tls (implicit TLS, usually port 465)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_ca_file: str | None = None  # PEM certificates to trust instead of the system's (a private CA)
    smtp_from: str = "casework <casework@localhost>"
    smtp_timeout: float = 10.0
    message_id_domain: str = "casework.localhost"
    base_url: str = "http://127.0.0.1:5000"
    webhook_timeout: float = 10.0
    max_attempts: int = 8
    backoff_base: float = 30.0  # seconds before the first retry (half of it plus jitter)
    backoff_cap: float = 3600.0
    lease: float = 60.0  # seconds a claimed row stays hidden from other dispatchers; renewed while sending
    pass_seconds: float = 8.0  # a dispatch pass claims batch after batch until the queue is empty or this is up
    senders: int = 2  # threads sending at once in a pass, each with its own SMTP connection
    dead_after_hours: float = 48.0  # a row becomes a dead letter only when this old *and* out of attempts

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> NotifySettings:
        source: Mapping[str, str] = os.environ if env is None else env
        values: dict[str, Any] = {}
        text = {
            "smtp_host": "CASEWORK_SMTP_HOST",
            "smtp_user": "CASEWORK_SMTP_USER",
            "smtp_password": "CASEWORK_SMTP_PASSWORD",
            "smtp_from": "CASEWORK_SMTP_FROM",
            "smtp_security": "CASEWORK_SMTP_SECURITY",
            "smtp_ca_file": "CASEWORK_SMTP_CA_FILE",
            "message_id_domain": "CASEWORK_MESSAGE_ID_DOMAIN",
            "base_url": "CASEWORK_BASE_URL",
        }
        numbers: dict[str, tuple[str, type[int] | type[float]]] = {
            "smtp_port": ("CASEWORK_SMTP_PORT", int),
            "smtp_timeout": ("CASEWORK_SMTP_TIMEOUT", float),
            "webhook_timeout": ("CASEWORK_WEBHOOK_TIMEOUT", float),
            "max_attempts": ("CASEWORK_NOTIFY_MAX_ATTEMPTS", int),
            "lease": ("CASEWORK_NOTIFY_LEASE_SECONDS", float),
            "senders": ("CASEWORK_NOTIFY_SENDERS", int),
            "pass_seconds": ("CASEWORK_NOTIFY_PASS_SECONDS", float),
            "dead_after_hours": ("CASEWORK_NOTIFY_DEAD_AFTER_HOURS", float),
        }
        for name, var in text.items():
            if source.get(var):
                values[name] = source[var]
        errors: dict[str, str] = {}
        for name, (var, kind) in numbers.items():
            if source.get(var):
                try:
                    values[name] = kind(source[var])
                except ValueError:
                    errors[var] = f"must be a {kind.__name__}"
        if "message_id_domain" not in values and "smtp_from" in values:
            domain = parseaddr(values["smtp_from"])[1].rpartition("@")[2]
            if domain:
                values["message_id_domain"] = domain
        if errors:
            raise ValidationError(errors)
        return replace(cls(), **values, **overrides).checked()

    def checked(self) -> NotifySettings:
        errors: dict[str, str] = {}
        if self.smtp_security not in SECURITY:
            errors["CASEWORK_SMTP_SECURITY"] = f"choose from {', '.join(SECURITY)}"
        if not 0 < self.smtp_port < 65536:
            errors["CASEWORK_SMTP_PORT"] = "a port number"
        for var, seconds in (
            ("CASEWORK_SMTP_TIMEOUT", self.smtp_timeout),
            ("CASEWORK_WEBHOOK_TIMEOUT", self.webhook_timeout),
        ):
            if not 0 < seconds <= MAX_TIMEOUT:  # also refuses NaN
                errors[var] = f"a number of seconds above 0 and at most {MAX_TIMEOUT:g}, not {seconds!r}"
        if self.max_attempts < 1:
            errors["CASEWORK_NOTIFY_MAX_ATTEMPTS"] = "at least 1"
        if not 5 <= self.lease <= 3600:
            errors["CASEWORK_NOTIFY_LEASE_SECONDS"] = "from 5 to 3600 seconds"
        if not 0 < self.pass_seconds <= 3600:
            errors["CASEWORK_NOTIFY_PASS_SECONDS"] = "more than 0, at most 3600 seconds"
        if not 1 <= self.senders <= 32:
            errors["CASEWORK_NOTIFY_SENDERS"] = "from 1 to 32"
        if self.dead_after_hours < 0:
            errors["CASEWORK_NOTIFY_DEAD_AFTER_HOURS"] = "0 or more hours"
        if self.smtp_ca_file and not os.path.isfile(self.smtp_ca_file):
            errors["CASEWORK_SMTP_CA_FILE"] = f"no such file: {self.smtp_ca_file}"
        if not self.base_url.startswith(("http://", "https://")):
            errors["CASEWORK_BASE_URL"] = "an http(s) URL"
        if errors:
            raise ValidationError(errors)
        return self
