"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casework.access.actors import Actor
from casework.access.signin import TooManyAttempts, sign_in
from casework.errors import AuthenticationFailed
from web.authz import public
from web.extensions import WebUser, casework
from web.redirects import safe_next
from web.sessions import begin_signed_in, end_signed_in
from web.views.oidc import SIGNED_IN_WITH_SSO, end_session_url, provider_name

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    # CASEWORK_LOCAL_LOGIN=off: the password form only for break-glass accounts (core refuses the others).
    show = casework().settings.local_login or bool(request.args.get("break_glass")) or request.method == "POST"
    page = {
        "form": form,
        "provider": provider_name(),
        "show_form": show,
        "next": request.args.get("next"),
        "signin_notice": casework().settings.signin_notice,
    }
    if form.validate_on_submit():
        try:
            user = sign_in(casework(), form.username.data, form.password.data, request.remote_addr)
        except TooManyAttempts as exc:
            flash(exc.message[0].upper() + exc.message[1:] + ".", "error")
            return render_template("login.html", **page), 429, {"Retry-After": str(exc.details["retry_after"])}
        except AuthenticationFailed as exc:
            flash(exc.message, "error")
            return render_template("login.html", **page), exc.http_status
        begin_signed_in(user, request.remote_addr)
        login_user(WebUser(Actor.of(user)))
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", **page), 400 if form.errors else 200


@bp.post("/logout")
@public
@login_required
def logout():
    """End the casework session and, after single sign-on, the provider's too (RP-initiated logout)."""
    at_provider = end_session_url(session.pop(SIGNED_IN_WITH_SSO, False))
    logout_user()
    end_signed_in()
    flash("You are signed out.", "info")
    return redirect(at_provider or url_for("auth.login"))
