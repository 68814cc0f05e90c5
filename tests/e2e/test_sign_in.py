"""Signing in, security headers and CSRF on the real app (Flask test client)."""

import pytest

from tests.e2e.conftest import PASSWORD
from web import create_app


def test_a_user_signs_in_with_the_right_password(client, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    response = client.post("/login?next=/queue", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/queue"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("username,password", [("ann", "wrong-password"), ("nobody", PASSWORD)])
def test_a_wrong_user_or_password_gets_the_same_refusal(client, make, username, password):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    assert b"wrong username or password" in response.data


def test_the_next_parameter_never_leaves_the_site(client, make):
    make.user("ann", ["channel_admin"], password=PASSWORD)
    response = client.post("/login?next=//evil.example/", data={"username": "ann", "password": PASSWORD})
    assert response.headers["Location"] == "/queue"


def test_every_response_carries_the_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_form_without_its_csrf_token_is_refused(cw, make):
    app = create_app({"CASEWORK": cw, "TESTING": True})  # CSRF on, as in production
    make.user("ann", ["channel_admin"], password=PASSWORD)
    client = app.test_client()
    response = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 400 and b"CSRF" in response.data
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}).status_code == 302


def test_api_errors_are_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 404
