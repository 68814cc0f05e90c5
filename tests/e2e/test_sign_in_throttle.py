"""Failed sign-ins are throttled per username, across workers, against the injected clock."""

from casework.access import signin
from tests.e2e.conftest import PASSWORD
from web import create_app


def _fail(client, username="ann", times=1):
    return [
        client.post("/login", data={"username": username, "password": "not-the-password"}).status_code
        for _ in range(times)
    ]


def test_five_failures_lock_the_username_for_fifteen_minutes(client, make, clock):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    assert _fail(client, times=5) == [401] * 5
    locked = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins for this username; try again in 15 minutes." in locked.get_data(as_text=True)
    assert locked.headers["Retry-After"] == "900"
    clock.advance(minutes=15, seconds=1)
    assert client.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 302


def test_the_lock_is_per_username_and_shared_by_every_app_instance(cw, app, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    make.user("bob", ["channel_admin"], password=PASSWORD)
    _fail(app.test_client(), "ANN ", times=5)
    other_worker = create_app({"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    assert other_worker.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 429
    assert other_worker.post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 302


def test_a_success_clears_earlier_failures(client, make, cw):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    _fail(client, times=4)
    assert client.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    _fail(client, times=4)
    assert signin.retry_after(cw, "ann") is None


def test_failures_spread_over_time_do_not_lock(client, make, clock, cw):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    for _ in range(8):
        _fail(client)
        clock.advance(minutes=4)
    assert signin.retry_after(cw, "ann") is None
