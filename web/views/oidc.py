"""Single sign-on with the force's OpenID Provider: authorization code with PKCE, through Authlib.

Authlib discovers the provider (`<issuer>/.well-known/openid-configuration`), keeps `state`, `nonce` and
the PKCE verifier in the session, exchanges the code and checks the ID token: signature against the
provider's JWKS (fetched again when an unknown key id appears, so key rotation needs no restart), issuer,
audience, nonce, expiry and issue time within the configured clock skew, measured on casework's clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import login_user
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from casework.access.actors import Actor
from casework.access.groups import GroupMapping, load_mapping
from casework.access.identity import Person, SignInRefused, sign_in_person
from casework.config import OidcSettings
from casework.errors import ValidationError
from web.authz import public
from web.extensions import WebUser, casework
from web.redirects import safe_next
from web.sessions import begin_signed_in

log = logging.getLogger(__name__)
bp = Blueprint("oidc", __name__)
SIGNED_IN_WITH_SSO = "casework_sso"
_NEXT = "casework_sso_next"
TIMEOUT = 10  # seconds for each call to the provider


@dataclass(frozen=True)
class SingleSignOn:
    settings: OidcSettings
    mapping: GroupMapping
    client: Any  # authlib's FlaskOAuth2App

    @property
    def origin(self) -> str:
        parts = urlsplit(self.settings.issuer)
        return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    """Register the provider when `CASEWORK_OIDC_ISSUER` is set; a bad mapping file stops the start."""
    cw = app.extensions["casework"]
    settings: OidcSettings | None = cw.settings.oidc
    if settings is None:
        return
    client = OAuth(app).register(
        "idp",
        client_id=settings.client_id,
        server_metadata_url=settings.issuer.rstrip("/") + "/.well-known/openid-configuration",
        **_client_authentication(settings),
    )
    sso = SingleSignOn(settings, load_mapping(settings.groups_file, cw.settings.forces), client)
    app.extensions["casework_sso"] = sso

    @app.after_request
    def allow_sign_out_at_the_provider(response):
        # Sign-out is a form POST redirected to the provider's end-session endpoint: form-action must allow it.
        csp = response.headers.get("Content-Security-Policy")
        if csp:
            response.headers["Content-Security-Policy"] = csp.replace(
                "form-action 'self'", f"form-action 'self' {sso.origin}"
            )
        return response


def _client_authentication(settings: OidcSettings) -> dict[str, Any]:
    """The client secret (client_secret_basic), or a JWT signed with the client's private key (private_key_jwt)."""
    session = {"scope": settings.scopes, "code_challenge_method": "S256", "default_timeout": TIMEOUT}
    if settings.client_key_file is None:
        return {"client_secret": settings.client_secret, "client_kwargs": session}
    try:
        key = RSAKey.import_key(settings.client_key_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, JoseError) as exc:
        raise ValidationError({"CASEWORK_OIDC_CLIENT_KEY_FILE": f"{settings.client_key_file}: {exc}"}) from exc
    return {
        "client_secret": key,
        "client_kwargs": {**session, "token_endpoint_auth_method": PrivateKeyJWT.name},
        "client_auth_methods": [PrivateKeyJWT()],
    }


def configured() -> SingleSignOn | None:
    return current_app.extensions.get("casework_sso")


def provider_name() -> str | None:
    sso = configured()
    return sso.settings.provider_name if sso else None


@bp.get("/login/oidc")
@public
def start():
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge."""
    sso = configured() or abort(404, description="single sign-on is not configured")
    try:
        metadata = sso.client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        log.warning("OpenID Provider discovery failed: %s", exc)
        return _failed("The identity provider cannot be reached just now. Try again in a minute.", 503)
    if metadata.get("issuer") != sso.settings.issuer:
        log.error("discovery names issuer %r, configured %r", metadata.get("issuer"), sso.settings.issuer)
        return _failed("The identity provider's configuration does not match casework's.", 503)
    session[_NEXT] = safe_next(request.args.get("next"))
    return sso.client.authorize_redirect(url_for("oidc.callback", _external=True))


@bp.get("/login/oidc/callback")
@public
def callback():
    """Finish the code flow; sign the person in as the user their groups make them, or refuse them."""
    sso = configured() or abort(404, description="single sign-on is not configured")
    try:
        token = sso.client.authorize_access_token(
            claims_cls=_checked_at(int(casework().now().timestamp())),
            # The audience must contain casework's client id, even when `azp` names it (Authlib alone accepts that).
            claims_options={
                "iss": {"essential": True, "value": sso.settings.issuer},
                "aud": {"essential": True, "value": sso.settings.client_id},
            },
            leeway=sso.settings.clock_skew_seconds,
        )
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        log.warning("single sign-on refused: %s: %s", type(exc).__name__, exc)
        return _failed("The sign-in with the identity provider could not be completed. Start again.", 401)
    claims = token.get("userinfo")
    if not claims:  # no ID token, or no nonce to check it against
        log.warning("single sign-on refused: the token response carried no verified ID token")
        return _failed("The identity provider did not send a valid ID token. Start again.", 401)
    try:
        user = sign_in_person(casework(), Person.from_claims(claims, sso.mapping), sso.mapping)
    except SignInRefused as exc:
        return render_template("sso_refused.html", reason=exc.message, provider=sso.settings.provider_name), 403
    next_page = session.pop(_NEXT, "/queue")
    begin_signed_in(user, request.remote_addr)  # a new server-side session: none of the old data survives
    login_user(WebUser(Actor.of(user)))
    session[SIGNED_IN_WITH_SSO] = True
    return redirect(next_page)


def end_session_url(signed_in_with_sso: bool) -> str | None:
    """Where to send the browser after casework's sign-out: the provider's end-session endpoint, if it has one."""
    sso = configured()
    if sso is None or not signed_in_with_sso:
        return None
    try:
        if not sso.client.load_server_metadata().get("end_session_endpoint"):
            return None
        return sso.client.create_logout_url(
            post_logout_redirect_uri=url_for("auth.login", _external=True), client_id=sso.settings.client_id
        )["url"]
    except (requests.RequestException, ValueError) as exc:
        log.warning("end-session endpoint unknown, signed out of casework only: %s", exc)
        return None


def _checked_at(now: int) -> type[CodeIDToken]:
    """ID-token claims checked against casework's clock (the injected one), not the machine's."""

    class IdTokenAtCaseworkTime(CodeIDToken):
        def validate(self, now_ignored: int | None = None, leeway: int = 0) -> None:
            super().validate(now=now, leeway=leeway)

    return IdTokenAtCaseworkTime


def _failed(message: str, status: int):
    return render_template("sso_failed.html", message=message, provider=provider_name()), status
