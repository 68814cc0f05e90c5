"""CASEWORK_LOCAL_LOGIN=off and the single sign-on pages when the provider is missing or unreachable."""

import pytest

from casework.access import users
from casework.bootstrap import bootstrap
from casework.config import OidcSettings, Settings
from casework.errors import ValidationError
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.conftest import PASSWORD
from tests.factories import Factory
from tests.notify_support import free_port
from web import create_app


@pytest.fixture
def off(sqlite_url, clock):
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=sqlite_url, local_login=False), clock=clock)
    make = Factory(cw)
    make.user("ann", ["channel_admin"], password=PASSWORD)
    make.user("root", ["supervisor"], password=PASSWORD)
    users.set_break_glass(cw, "root", True)
    yield create_app({"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    cw.engine.dispose()


def test_with_local_sign_in_off_the_page_hides_the_password_form(off):
    page = off.get("/login").get_data(as_text=True)
    assert 'type="password"' not in page and "Break-glass sign-in" in page
    assert 'type="password"' in off.get("/login?break_glass=1").get_data(as_text=True)


def test_with_local_sign_in_off_a_password_is_refused_unless_the_user_is_break_glass(off):
    refused = off.post("/login?break_glass=1", data={"username": "ann", "password": PASSWORD})
    assert refused.status_code == 403 and b"password sign-in is switched off" in refused.data
    assert off.get("/queue").status_code == 302  # not signed in
    allowed = off.post("/login?break_glass=1", data={"username": "root", "password": PASSWORD})
    assert allowed.status_code == 302 and allowed.headers["Location"] == "/queue"


def test_a_wrong_password_gets_the_usual_refusal_with_local_sign_in_off(off):
    response = off.post("/login", data={"username": "ann", "password": "wrong-password"})
    assert response.status_code == 401 and b"wrong username or password" in response.data


def test_without_single_sign_on_there_is_no_provider_button_and_no_sso_page(client):
    assert b"Sign in with" not in client.get("/login").data
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


@pytest.fixture
def unreachable(tmp_path, cw):
    """Single sign-on configured with a provider where nothing listens."""
    groups = tmp_path / "groups.toml"
    groups.write_text('[groups]\n"g" = { roles = ["comms"], forces = ["warwickshire"] }\n')
    issuer = f"http://127.0.0.1:{free_port()}"
    cw.settings = Settings(
        secret_key=TEST_SECRET_KEY, database_url=cw.settings.database_url, oidc=OidcSettings(issuer, "c", "s", groups)
    )
    return create_app({"CASEWORK": cw, "TESTING": True}).test_client()


def test_an_unreachable_provider_gets_a_clear_page(unreachable):
    assert b"Sign in with your force&#39;s account" in unreachable.get("/login").data
    response = unreachable.get("/login/oidc")
    assert response.status_code == 503 and b"cannot be reached" in response.data


@pytest.mark.parametrize(
    "query", ["error=access_denied&error_description=cancelled", "code=abc&state=never-issued", "code=abc", ""]
)
def test_a_callback_the_session_did_not_start_signs_nobody_in(unreachable, query):
    response = unreachable.get(f"/login/oidc/callback?{query}")
    assert response.status_code == 401 and b"Sign-in not completed" in response.data
    assert unreachable.get("/queue").status_code == 302


def test_an_unreadable_client_key_stops_the_start_with_a_clear_error(tmp_path, cw):
    groups = tmp_path / "groups.toml"
    groups.write_text('[groups]\n"g" = { roles = ["comms"], forces = ["warwickshire"] }\n')
    (tmp_path / "client.pem").write_text("not a key")
    oidc = OidcSettings("https://idp.example", "c", "", groups, client_key_file=tmp_path / "client.pem")
    cw.settings = Settings(secret_key=TEST_SECRET_KEY, database_url=cw.settings.database_url, oidc=oidc)
    with pytest.raises(ValidationError) as refused:
        create_app({"CASEWORK": cw})
    assert "CASEWORK_OIDC_CLIENT_KEY_FILE" in refused.value.errors
