"""Failed sign-ins are also throttled per client address, across usernames; proxies are trusted only on request."""

import pytest
from sqlalchemy import func, select

from casework.access import signin
from casework.access.signin import ADDRESS_MAX_FAILURES, SignInFailure
from casework.errors import ValidationError
from tests.e2e.conftest import PASSWORD
from web import create_app

SPRAYER, NEIGHBOUR = "198.51.100.7", "198.51.100.8"


def attempt(client, username, password="not-the-password", address=SPRAYER, **headers):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def spray(client, times=ADDRESS_MAX_FAILURES, address=SPRAYER, **headers):
    return [attempt(client, f"guess{n}", address=address, **headers).status_code for n in range(times)]


def failures(cw):
    with cw.reader() as uow:
        return uow.session.execute(select(func.count()).select_from(SignInFailure)).scalar_one()


def test_many_usernames_from_one_address_lock_that_address(client, make, clock):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    assert spray(client) == [401] * ADDRESS_MAX_FAILURES
    locked = attempt(client, "ann", PASSWORD)  # even the right password is not checked now
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert "Too many failed sign-ins from this address; try again in 15 minutes." in locked.get_data(as_text=True)
    clock.advance(minutes=5)
    assert attempt(client, "guess-again").headers["Retry-After"] == "600"
    clock.advance(minutes=10, seconds=1)
    assert attempt(client, "ann", PASSWORD).status_code == 302


def test_another_address_is_not_locked(client, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    spray(client)
    assert attempt(client, "guess-more").status_code == 429
    assert attempt(client, "guess-more", address=NEIGHBOUR).status_code == 401
    assert attempt(client, "ann", PASSWORD, address=NEIGHBOUR).status_code == 302


def test_successful_sign_ins_are_never_counted(client, cw, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    spray(client, times=ADDRESS_MAX_FAILURES - 1)
    for _ in range(3):
        assert attempt(client, "ann", PASSWORD).status_code == 302
        client.post("/logout")
    assert failures(cw) == ADDRESS_MAX_FAILURES - 1
    assert signin.address_retry_after(cw, SPRAYER) is None
    assert spray(client, times=2) == [401, 429]


def test_failures_outside_the_window_are_pruned_for_the_address(client, cw, clock):
    spray(client, times=ADDRESS_MAX_FAILURES - 1)
    clock.advance(minutes=16)
    assert spray(client, times=1) == [401]
    assert failures(cw) == 1  # the address's old rows went, across usernames
    assert signin.address_retry_after(cw, SPRAYER) is None


def test_forwarded_addresses_are_ignored_unless_proxies_are_trusted(cw, client):
    spray(client, address="10.0.0.1", **{"X-Forwarded-For": SPRAYER})
    assert attempt(client, "x", address="10.0.0.1", **{"X-Forwarded-For": NEIGHBOUR}).status_code == 429


def test_with_one_trusted_proxy_the_forwarded_client_address_is_counted(cw):
    proxied = create_app(
        {"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False, "CASEWORK_TRUSTED_PROXIES": "1"}
    ).test_client()
    spray(proxied, address="10.0.0.1", **{"X-Forwarded-For": f"203.0.113.9, {SPRAYER}"})
    assert signin.address_retry_after(cw, SPRAYER) is not None
    assert signin.address_retry_after(cw, "10.0.0.1") is None
    assert attempt(proxied, "x", address="10.0.0.1", **{"X-Forwarded-For": NEIGHBOUR}).status_code == 401


def test_the_trusted_proxy_count_comes_from_the_environment_and_is_checked(cw, monkeypatch):
    monkeypatch.setenv("CASEWORK_TRUSTED_PROXIES", "1")
    proxied = create_app({"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    attempt(proxied, "x", address="10.0.0.1", **{"X-Forwarded-For": NEIGHBOUR})
    assert signin.address_retry_after(cw, NEIGHBOUR) is None and failures(cw) == 1
    with cw.reader() as uow:
        assert uow.session.execute(select(SignInFailure.address)).scalar_one() == NEIGHBOUR
    monkeypatch.setenv("CASEWORK_TRUSTED_PROXIES", "many")
    with pytest.raises(ValidationError, match="CASEWORK_TRUSTED_PROXIES"):
        create_app({"CASEWORK": cw, "TESTING": True})
