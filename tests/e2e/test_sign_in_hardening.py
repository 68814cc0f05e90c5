"""Sign-in as an attacker tries it: redirects off the site, raced guesses, timing, weak passwords."""

import threading

import pytest
from argon2 import PasswordHasher

from casework.access import passwords, signin, users
from casework.access.signin import MAX_FAILURES, TooManyAttempts
from casework.errors import AuthenticationFailed, ValidationError
from tests.e2e.conftest import PASSWORD
from web import create_app


@pytest.fixture
def verifications(monkeypatch):
    """Counts real argon2 verifications (the hasher still does the work)."""
    counted = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):
            counted.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    return counted


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\t/evil.example/",
        "/%09/evil.example/path",
        "/\\evil.example",
        "/\\/evil.example",
        "/%0a",
        "/queue%0d%0aSet-Cookie:%20x=y",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/caf%C3%A9",
        "",
    ],
)
def test_after_sign_in_only_a_path_on_this_site_is_followed(client, make, target):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    query = target if "%" in target else target.replace("\t", "%09").replace("\\", "%5C")
    response = client.post(f"/login?next={query}", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/queue"


@pytest.mark.parametrize("target", ["/queue?state=closed", "/cases/WK-2026-000001#timeline", "/audit?page=2"])
def test_a_same_site_next_is_followed(client, make, target):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    response = client.post("/login", query_string={"next": target}, data={"username": "ann", "password": PASSWORD})
    assert response.headers["Location"] == target


def test_sixteen_concurrent_wrong_guesses_run_no_more_password_checks_than_the_limit(cw, make, verifications):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    passwords._decoy_hash()  # computed before the race, so only sign-ins count
    verifications.clear()
    start, outcomes = threading.Barrier(16), []

    def guess(n):
        start.wait()
        try:
            signin.sign_in(cw, "ann", f"guess-number-{n}", address=f"10.0.0.{n}")
        except (AuthenticationFailed, TooManyAttempts) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(verifications) == MAX_FAILURES
    assert sorted(outcomes) == ["AuthenticationFailed"] * MAX_FAILURES + ["TooManyAttempts"] * (16 - MAX_FAILURES)
    with pytest.raises(TooManyAttempts):
        signin.sign_in(cw, "ann", PASSWORD)  # locked for the window, even with the right password


@pytest.mark.parametrize("who", ["unknown", "deactivated", "no password", "wrong password"])
def test_every_refused_sign_in_costs_one_argon2_check_like_a_real_one(cw, make, verifications, who):
    from casework.access import lifecycle

    make.user("ann", ["channel_admin"], password=PASSWORD)
    make.user("tok", ["channel_admin"])  # API tokens only
    make.user("gone", ["channel_admin"], password=PASSWORD)
    lifecycle.deactivate(cw, "gone")
    username = {"unknown": "nobody", "deactivated": "gone", "no password": "tok", "wrong password": "ann"}[who]
    verifications.clear()
    with pytest.raises(AuthenticationFailed, match="wrong username or password"):
        signin.sign_in(cw, username, "not-the-password" if who == "wrong password" else PASSWORD)
    assert len(verifications) == 1
    verifications.clear()
    signin.sign_in(cw, "ann", PASSWORD)
    assert len(verifications) == 1


@pytest.mark.parametrize(
    "password,why",
    [
        ("aaaaaaaaaa", "at least 12 characters"),
        ("1234567890", "at least 12 characters"),
        ("password12", "at least 12 characters"),
        (" " * 10, "at least 12 characters"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("password1234", "too easy to guess"),
        (" " * 12, "too easy to guess"),
        ("qwertyuiopasdf", "too easy to guess"),
        ("karen.ellis", "at least 12 characters"),
        ("karen.ellis-1066!", "your username or name"),
        ("Karen Ellis of Kenilworth", "your username or name"),
    ],
)
def test_weak_passwords_are_refused_and_no_user_is_created(cw, password, why):
    with pytest.raises(ValidationError, match=why):
        users.add_user(
            cw,
            "karen.ellis",
            roles=["comms"],
            forces=["warwickshire"],
            password=password,
            display_name="Karen Ellis",
        )
    assert users.list_users(cw) == []


@pytest.mark.parametrize("password", ["three random words", "correct horse battery staple", "Kenilworth-castle-1266"])
def test_a_long_password_needs_no_digits_symbols_or_capitals(cw, password):
    user = users.add_user(cw, "karen.ellis", roles=["comms"], forces=["warwickshire"], password=password)
    assert users.authenticate(cw, user.username, password).username == "karen.ellis"


def test_the_sign_in_page_carries_the_authorised_use_notice(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'id="authorised-use"' in page and "Computer Misuse Act 1990" in page


def test_the_notice_is_configurable_and_escaped(cw):
    from dataclasses import replace

    from casework.config import Settings

    assert Settings.from_env(
        {"CASEWORK_SIGNIN_NOTICE": "  Force systems: <b>authorised</b> staff only.  "}
    ).signin_notice == ("Force systems: <b>authorised</b> staff only.")
    cw.settings = replace(cw.settings, signin_notice="Force systems: <b>authorised</b> staff only.")
    page = create_app({"CASEWORK": cw, "TESTING": True}).test_client().get("/login").get_data(as_text=True)
    assert "Force systems: &lt;b&gt;authorised&lt;/b&gt; staff only." in page


def test_secure_cookies_come_with_hsts(cw, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    secure = create_app({"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": True})
    client = secure.test_client()
    response = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = create_app({"CASEWORK": cw, "TESTING": True}).test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers
