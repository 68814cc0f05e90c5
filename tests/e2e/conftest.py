"""Web fixtures: the app on the test database with CSRF off (one test module turns it on)."""

import pytest

from tests.e2e.session_support import sign_in_client
from web import create_app

PASSWORD = "a-long-test-password"


@pytest.fixture
def app(cw):
    return create_app({"CASEWORK": cw, "TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    def __init__(self, client, make):
        self.client, self.make = client, make

    def login(self, username, password=PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def as_new(self, username, roles, forces=("warwickshire",)):
        """Create a user with a password and sign in as them."""
        actor = self.make.user(username, roles, forces, password=PASSWORD)
        self.login(username)
        return actor

    def as_actor(self, actor):
        """Start a server-side session for an existing user without the (deliberately slow) password check."""
        sign_in_client(self.client, actor.username)
        return actor


@pytest.fixture
def auth(client, make):
    return Auth(client, make)
