"""Signing in and out."""

from __future__ import annotations

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
            return render_template("login.html", form=form), 429, {"Retry-After": str(exc.details["retry_after"])}
        except AuthenticationFailed as exc:
            flash(exc.message, "error")
            return render_template("login.html", form=form), 401
        login_user(WebUser(Actor.of(user)))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@public
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Only same-site paths, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/queue"
