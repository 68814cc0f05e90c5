"""Client addresses behind reverse proxies: trust `X-Forwarded-For` only from a configured number of proxies.

Without it `request.remote_addr` is the proxy's address, and the sign-in throttle would count every
user as one client. With `CASEWORK_TRUSTED_PROXIES=N`, werkzeug's ProxyFix takes the client address
(and scheme) from the last N hops of `X-Forwarded-For`/`X-Forwarded-Proto`. Set it to exactly the
number of proxies in front of the app: a larger number lets clients forge their address.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from casework.errors import ValidationError

SETTING = "CASEWORK_TRUSTED_PROXIES"


def trusted_proxies(app: Flask) -> int:
    """The count from the app config, else the environment; 0 (trust no header) by default."""
    raw = str(app.config.get(SETTING, os.environ.get(SETTING, "0"))).strip() or "0"
    if not raw.isdigit() or int(raw) > 10:
        raise ValidationError({SETTING: f"the number of reverse proxies in front of the app, 0-10, not {raw!r}"})
    return int(raw)


def apply_trusted_proxies(app: Flask) -> None:
    """Wrap the app in ProxyFix when proxies are trusted (opt-in)."""
    count = trusted_proxies(app)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
