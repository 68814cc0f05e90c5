"""The Flask web app: `create_app` reads like a table of contents."""

from __future__ import annotations

import gc
import os

from flask import Flask, redirect, url_for
from flask_login import current_user

from casework.bootstrap import bootstrap
from casework.errors import ValidationError
from casework.runtime import Casework
from web.authz import public, register_deny_by_default
from web.errors import register_errorhandlers
from web.evidence_http import register_upload_limits
from web.extensions import csrf, login_manager
from web.faults import register_fault_handlers
from web.health import register_operations
from web.marking import register_marking
from web.proxies import apply_trusted_proxies
from web.security import register_security_headers
from web.sessions import ServerSessionInterface


def freeze_start_up() -> None:
    """Keep what start-up built (modules, models, the workflow, the app) out of the garbage collector's full
    collections, which otherwise rescan all of it: 40-80 ms added to about every tenth page. For a serving
    process only, once its app is made (tests make many apps, and their garbage must stay collectable)."""
    gc.freeze()


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` may carry a ready `CASEWORK` runtime (tests inject one with their clock)."""
    app = Flask(__name__)
    config = dict(config or {})
    cw: Casework = config.pop("CASEWORK", None) or bootstrap()
    app.config.update(
        SECRET_KEY=cw.settings.secret_key,  # signs CSRF tokens; sessions are rows (web.sessions)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("CASEWORK_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
        # A case form may stay open through a shift; the token still expires with the session.
        WTF_CSRF_TIME_LIMIT=int(cw.settings.session_max.total_seconds()),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(config)
    if not app.config["SECRET_KEY"]:
        raise ValidationError({"CASEWORK_SECRET_KEY": "no secret key: run `casework init` or set CASEWORK_SECRET_KEY"})
    app.extensions["casework"] = cw
    app.session_interface = ServerSessionInterface()
    apply_trusted_proxies(app)
    register_extensions(app)
    register_upload_limits(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_fault_handlers(app)
    register_operations(app)
    register_security_headers(app)
    register_deny_by_default(app)
    register_template_helpers(app)
    register_marking(app)
    return app


def register_extensions(app: Flask) -> None:
    from web.views import oidc

    csrf.init_app(app)
    login_manager.init_app(app)
    oidc.init_app(app)


def register_blueprints(app: Flask) -> None:
    from web import api
    from web.api import webhooks
    from web.views import (
        audit,
        auditing,
        auth,
        bulk,
        case_list,
        cases,
        dashboard,
        evidence,
        flag,
        inbox,
        oidc,
        queue,
        search,
        workflow,
    )

    blueprints = (
        auth,
        oidc,
        queue,
        case_list,
        cases,
        evidence,
        search,
        bulk,
        flag,
        dashboard,
        workflow,
        audit,
        auditing,
        inbox,
    )
    for module in (*blueprints, api, webhooks):
        app.register_blueprint(module.bp)

    @app.get("/")
    @public
    def index():
        return redirect(url_for("queue.index" if current_user.is_authenticated else "auth.login"))


def register_template_helpers(app: Flask) -> None:
    from web import bidi, formatting, labels, transition_forms

    app.jinja_env.finalize = bidi.isolate  # every shown value: user text cannot reorder the page around it
    app.jinja_env.filters.update(london=formatting.london_time, ago=formatting.relative)
    labels.install(app)
    cw = app.extensions["casework"]
    app.jinja_env.filters["state"] = lambda name: cw.workflow.state(name).label if name else "—"
    app.jinja_env.globals.update(
        now=cw.now,
        workflow=cw.workflow,
        forces=cw.settings.forces,
        widget=transition_forms.widget,
        condition_text=transition_forms.condition_text,
    )
