"""Signing in and out."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casework.access.actors import Actor
from casework.access.signin import TooManyAttempts, sign_in
from casework.errors import AuthenticationFailed
from web.authz import public
from web.extensions import WebUser, casework
from web.sessions import begin_signed_in, end_signed_in

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = sign_in(casework(), form.username.data, form.password.data, request.remote_addr)
        except TooManyAttempts as exc:
            flash(exc.message[0].upper() + exc.message[1:] + ".", "error")
            return _page(form), 429, {"Retry-After": str(exc.details["retry_after"])}
        except AuthenticationFailed as exc:
            flash(exc.message, "error")
            return _page(form), 401
        begin_signed_in(user, request.remote_addr)
        login_user(WebUser(Actor.of(user)))
        return redirect(safe_next(request.args.get("next")))
    return _page(form), 400 if form.errors else 200


def _page(form: LoginForm) -> str:
    return render_template("login.html", form=form, signin_notice=casework().settings.signin_notice)


@bp.post("/logout")
@public
@login_required
def logout():
    logout_user()
    end_signed_in()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


# A path on this site: one "/" then printable ASCII, no backslash (browsers read a backslash as "/"
# and drop tabs and newlines, so "/<backslash>x" or "/%09/x" would become "//x": another host).
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, else the queue."""
    if target and len(target) <= 2000 and _SAME_SITE_PATH.fullmatch(target):
        return target
    return "/queue"
