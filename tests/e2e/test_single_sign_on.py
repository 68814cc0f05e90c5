"""Single sign-on in Chromium against a real OpenID Provider (oidc-provider on 127.0.0.1)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select
from werkzeug.serving import make_server

from casework.access.identity import SsoIdentity
from casework.bootstrap import bootstrap
from casework.clock import FrozenClock
from casework.config import OidcSettings, Settings
from casework.storage.tables import CaseEvent, User
from tests.conftest import IN_CI, TEST_SECRET_KEY
from tests.e2e.oidc_support import CLIENT_ID, CLIENT_SECRET, Provider
from tests.notify_support import free_port
from web import create_app

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
PROVIDER_NAME = "Warwickshire ID"
SKEW = 60
GROUPS = """
claim = "groups"
[groups]
"sg-wk-channel-admins" = { roles = ["channel_admin"], forces = ["warwickshire"] }
"sg-wk-crime-bureau" = { roles = ["crime_bureau"], forces = ["warwickshire"] }
"sg-supervisors" = { roles = ["supervisor"] }
"sg-wm-staff" = { forces = ["west_mercia"] }
"""


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs it with apt-get)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        yield chromium
        chromium.close()


class Sso:
    """The app and its provider, as one test sees them."""

    def __init__(self, site, provider, cw, clock):
        self.site, self.provider, self.cw, self.clock = site, provider, cw, clock

    def user(self, sub: str) -> User | None:
        with self.cw.reader() as uow:
            return uow.session.execute(
                select(User).join(SsoIdentity, SsoIdentity.user_id == User.id).where(SsoIdentity.subject == sub)
            ).scalar_one_or_none()

    def events(self, action: str) -> list[CaseEvent]:
        with self.cw.reader() as uow:
            return list(uow.session.execute(select(CaseEvent).where(CaseEvent.action == action)).scalars())


@pytest.fixture
def sso(request, tmp_path, sqlite_url):
    """casework with single sign-on on a free port, and a provider that knows it as client `casework`.

    Parametrized indirectly with "private_key_jwt", the client authenticates with a key instead of its secret.
    """
    groups = tmp_path / "groups.toml"
    groups.write_text(GROUPS)
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    oidc: dict = {"provider_name": PROVIDER_NAME}
    client_key = None
    if getattr(request, "param", None) == "private_key_jwt":
        key = RSAKey.generate_key(2048, parameters={"kid": "casework-client", "alg": "RS256"})
        oidc["client_key_file"] = tmp_path / "client-key.pem"
        oidc["client_key_file"].write_bytes(key.as_pem(private=True))
        client_key = key.as_dict(private=False)
    provider = Provider(tmp_path, site, client_key=client_key)
    clock = FrozenClock(datetime.now(UTC))  # ID tokens carry real times; tests move casework's clock from here
    secret = "" if client_key else CLIENT_SECRET
    settings = Settings(
        secret_key=TEST_SECRET_KEY,
        database_url=sqlite_url,
        oidc=OidcSettings(provider.issuer, CLIENT_ID, secret, groups, **oidc),
    )
    cw = bootstrap(settings, clock=clock)
    provider.start()
    server = make_server("127.0.0.1", port, create_app({"CASEWORK": cw}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Sso(site, provider, cw, clock)
    server.shutdown()
    thread.join()
    provider.stop()
    cw.engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in_at_provider(page, sso, login, *, lands="/queue"):
    """From casework's sign-in page through the provider's login form (any password) and back."""
    page.goto(f"{sso.site}/login")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_url(f"{sso.provider.issuer}/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    if lands:
        page.wait_for_url(f"{sso.site}{lands}")


def refused_page(page) -> str:
    page.wait_for_selector("h1")
    return page.locator("main").inner_text()


def test_the_sign_in_page_offers_the_provider_first(page, sso):
    page.goto(f"{sso.site}/login")
    first = page.locator("main a, main button, main input:not([type=hidden])").first
    assert first.inner_text() == f"Sign in with {PROVIDER_NAME}"


def test_a_person_signs_in_with_the_provider_and_gets_the_roles_of_their_groups(page, sso):
    sub = sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins", "unrelated"])
    sign_in_at_provider(page, sso, "alice")
    assert "Alice Example" in page.locator("header").inner_text()
    user = sso.user(sub)
    assert (user.roles, user.forces, user.display_name) == (["channel_admin"], ["warwickshire"], "Alice Example")
    assert user.username.startswith("sso.") and user.password_hash is None
    (added,) = sso.events("user_added")
    assert added.actor == "system:sso" and added.data["subject"] == sub and added.data["roles"] == ["channel_admin"]
    page.goto(f"{sso.site}/flag")  # a channel admin's page
    assert page.locator("h1").inner_text().startswith("Flag")


def test_after_signing_in_the_person_lands_on_the_page_they_asked_for(page, sso):
    sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    page.goto(f"{sso.site}/flag")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{sso.site}/flag")


def test_a_change_of_groups_at_the_provider_changes_roles_at_the_next_sign_in_and_is_audited(page, sso):
    sub = sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    sign_in_at_provider(page, sso, "alice")
    sso.provider.set_groups("alice", ["sg-wk-crime-bureau", "sg-supervisors", "sg-wm-staff"])
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's end-session page
    page.wait_for_url(f"{sso.site}/login**")
    sign_in_at_provider(page, sso, "alice")  # the provider asks again: its session ended too
    user = sso.user(sub)
    assert (user.roles, user.forces) == (["crime_bureau", "supervisor"], ["warwickshire", "west_mercia"])
    (changed,) = sso.events("user_roles_changed")
    assert changed.actor == "system:sso"
    assert changed.data["before"] == {"roles": ["channel_admin"], "forces": ["warwickshire"]}
    assert changed.data["after"] == {"roles": ["crime_bureau", "supervisor"], "forces": ["warwickshire", "west_mercia"]}
    assert len(sso.events("user_added")) == 1  # the same user, found by issuer + sub


@pytest.mark.parametrize(
    "groups,reason",
    [(["unrelated"], "grants a casework role"), (["sg-supervisors"], "grants a force"), ([], "grants a casework role")],
)
def test_a_person_whose_groups_map_to_no_role_or_force_is_refused_with_a_clear_page(page, sso, groups, reason):
    sub = sso.provider.add_person("bob", name="Bob Nobody", groups=groups)
    with page.expect_response(f"{sso.site}/login/oidc/callback**") as response:
        sign_in_at_provider(page, sso, "bob", lands=None)
    assert response.value.status == 403
    text = refused_page(page)
    assert "No access to casework" in text and reason in text and PROVIDER_NAME in text
    assert sso.user(sub) is None
    (refused,) = sso.events("sso_refused")
    assert refused.data["subject"] == sub and refused.data["groups"] == groups and reason in refused.data["reason"]


def _not_signed_in(page, sso) -> bool:
    page.goto(f"{sso.site}/queue")
    return page.url.startswith(f"{sso.site}/login")


def test_a_tampered_state_is_refused(page, sso, caplog):
    sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    start = page.request.get(f"{sso.site}/login/oidc", max_redirects=0)  # casework's session keeps the state
    page.goto(start.headers["location"].replace("state=", "state=x"))
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=password]").fill("any password")
    with page.expect_response(f"{sso.site}/login/oidc/callback**") as response:
        page.get_by_role("button", name="Sign-in").click()
    assert "state=x" in response.value.url and response.value.status == 401
    assert "Sign-in not completed" in refused_page(page)
    assert "MismatchingStateError" in caplog.text
    assert _not_signed_in(page, sso)


def test_a_replayed_authorization_code_is_refused(page, sso, caplog):
    sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    page.goto(f"{sso.site}/login")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_url(f"{sso.provider.issuer}/**")
    before = page.context.cookies()  # the cookie of the session that held this sign-in's state
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=password]").fill("any password")
    with page.expect_request(f"{sso.site}/login/oidc/callback**") as callback:
        page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{sso.site}/queue")
    page.context.clear_cookies()
    page.context.add_cookies(before)
    # The same code again, with the old cookie: signing in replaced that session on the server, so it no
    # longer holds the state; the code is refused before it reaches the provider a second time.
    response = page.goto(callback.value.url)
    assert response.status == 401
    assert "Sign-in not completed" in refused_page(page)
    assert "single sign-on refused" in caplog.text
    assert _not_signed_in(page, sso)


@pytest.mark.parametrize(
    "seconds,accepted",
    [
        (300 + SKEW - 15, True),  # expired at the provider's clock, but within the skew casework allows
        (300 + SKEW + 15, False),  # expired beyond the skew
        (-(SKEW + 15), False),  # issued in casework's future, beyond the skew
        (-(SKEW - 15), True),
    ],
)
def test_an_expired_id_token_is_refused_with_the_clock_skew_bounded(page, sso, caplog, seconds, accepted):
    sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    sso.clock.advance(seconds=seconds)  # the provider's ID tokens live 300 s
    with page.expect_response(f"{sso.site}/login/oidc/callback**") as response:
        sign_in_at_provider(page, sso, "alice", lands=None)
    assert (response.value.status == 302) is accepted
    if not accepted:
        assert "Sign-in not completed" in refused_page(page)
        assert ("expired" if seconds > 0 else "future") in caplog.text
        assert _not_signed_in(page, sso)


def test_an_id_token_for_another_audience_is_refused(page, sso, caplog):
    sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    sso.provider.address_id_tokens_to("another-app")
    with page.expect_response(f"{sso.site}/login/oidc/callback**") as response:
        sign_in_at_provider(page, sso, "alice", lands=None)
    assert response.value.status == 401
    assert "Sign-in not completed" in refused_page(page)
    assert "Invalid claim: 'aud'" in caplog.text
    assert _not_signed_in(page, sso)


def test_sign_in_goes_on_working_after_the_provider_rotates_its_signing_key(page, sso):
    sub = sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    sign_in_at_provider(page, sso, "alice")  # casework now holds the provider's first key set
    page.context.clear_cookies()
    old_kid = sso.provider.keys[0]["kid"]
    sso.provider.rotate_keys()
    assert sso.provider.keys[0]["kid"] != old_kid
    sign_in_at_provider(page, sso, "alice")
    assert sso.user(sub).roles == ["channel_admin"]


def test_sign_out_ends_the_casework_session_and_the_providers(page, sso):
    sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    sign_in_at_provider(page, sso, "alice")
    with page.expect_request(f"{sso.provider.issuer}/session/end**") as end_session:
        page.get_by_role("button", name="Sign out").click()
    assert f"client_id={CLIENT_ID}" in end_session.value.url
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{sso.site}/login**")
    assert _not_signed_in(page, sso)
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.locator("input[name=login]").wait_for()  # the provider asks who you are again


def test_a_provider_whose_discovery_names_another_issuer_is_not_used(tmp_path, sqlite_url):
    provider = Provider(tmp_path, "http://127.0.0.1:1")
    groups = tmp_path / "groups.toml"
    groups.write_text(GROUPS)
    oidc = OidcSettings(provider.issuer + "/", CLIENT_ID, CLIENT_SECRET, groups)  # discovery says no slash
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url, oidc=oidc))
    provider.start()
    try:
        response = create_app({"CASEWORK": cw}).test_client().get("/login/oidc")
        assert response.status_code == 503 and b"does not match" in response.data
    finally:
        provider.stop()
        cw.engine.dispose()


@pytest.mark.parametrize("sso", ["private_key_jwt"], indirect=True)
def test_the_client_may_authenticate_with_a_private_key_jwt_instead_of_a_secret(page, sso):
    sub = sso.provider.add_person("alice", name="Alice Example", groups=["sg-wk-channel-admins"])
    sign_in_at_provider(page, sso, "alice")
    assert sso.user(sub).roles == ["channel_admin"]
