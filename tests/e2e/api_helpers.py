"""Helpers for API tests: bearer tokens for the standing staff, and the app with webhook secrets."""

from __future__ import annotations

from pathlib import Path

from casework.access import tokens

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = DATA / "platform-samples"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
WEBHOOK_TOKEN = "test-shared-webhook-token"
WEBHOOK_CONFIG = {
    "CASEWORK_FACEBOOK_APP_SECRET": APP_SECRET,
    "CASEWORK_FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
    "CASEWORK_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
    "CASEWORK_CHANNELS_FILE": str(DATA / "channels.toml"),
}


class Bearer:
    """Issues a token per standing staff member and returns the request headers."""

    def __init__(self, cw, make):
        self.cw, self.make, self._tokens = cw, make, {}

    def __call__(self, kind: str, force: str = "warwickshire") -> dict:
        key = (kind, force)
        if key not in self._tokens:
            user = self.make.staff(kind, force)
            self._tokens[key] = tokens.issue_token(self.cw, user.username, "tests").secret
        return {"Authorization": f"Bearer {self._tokens[key]}"}
