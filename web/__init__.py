"""The Flask web app: `create_app` reads like a table of contents."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, redirect, url_for
from flask_login import current_user

from casework.bootstrap import bootstrap
from casework.runtime import Casework
from web.authz import public, register_deny_by_default
from web.errors import register_errorhandlers
from web.evidence_http import register_upload_limits
from web.extensions import csrf, login_manager
from web.proxies import apply_trusted_proxies
from web.security import register_security_headers


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` may carry a ready `CASEWORK` runtime (tests inject one with their clock)."""
    app = Flask(__name__)
    config = dict(config or {})
    cw: Casework = config.pop("CASEWORK", None) or bootstrap()
    app.config.update(
        SECRET_KEY=cw.settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("CASEWORK_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        # A case form may stay open through a shift; the token still expires with the session.
        WTF_CSRF_TIME_LIMIT=10 * 3600,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(config)
    app.extensions["casework"] = cw
    apply_trusted_proxies(app)
    register_extensions(app)
    register_upload_limits(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_deny_by_default(app)
    register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from web import api
    from web.api import webhooks
    from web.views import audit, auditing, auth, cases, dashboard, evidence, flag, inbox, queue, workflow

    for module in (auth, queue, cases, evidence, flag, dashboard, workflow, audit, auditing, inbox, api, webhooks):
        app.register_blueprint(module.bp)

    @app.get("/")
    @public
    def index():
        return redirect(url_for("queue.index" if current_user.is_authenticated else "auth.login"))


def register_template_helpers(app: Flask) -> None:
    from web import formatting, labels, transition_forms

    app.jinja_env.filters.update(london=formatting.london_time, ago=formatting.relative, label=labels.label)
    cw = app.extensions["casework"]
    app.jinja_env.tests["matching_code"] = labels.is_code
    app.jinja_env.filters["state"] = lambda name: cw.workflow.state(name).label if name else "—"
    app.jinja_env.globals.update(
        now=cw.now,
        workflow=cw.workflow,
        forces=cw.settings.forces,
        label_of=labels.label,
        widget=transition_forms.widget,
        condition_text=transition_forms.condition_text,
    )
