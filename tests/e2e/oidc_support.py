"""A real OpenID Provider for the tests: panva's oidc-provider on Node.js, started on 127.0.0.1 per test.

`make test` installs it (`npm ci --prefix tests/oidc`). Without Node.js or the package the tests skip,
except in CI, where they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from tests.conftest import IN_CI
from tests.notify_support import free_port

FOLDER = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID, CLIENT_SECRET = "casework", "a-client-secret-for-the-tests-only"


def _missing(message: str):
    pytest.fail(message) if IN_CI else pytest.skip(message)


def signing_key() -> dict:
    """A fresh RSA signing key (private JWK) with its own key id."""
    key = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex[:12], "use": "sig", "alg": "RS256"})
    return key.as_dict(private=True)


class Provider:
    """One provider process; its accounts and misbehaviour live in a state file read on every request."""

    def __init__(self, folder: Path, site: str, id_token_ttl: int = 300, client_key: dict | None = None):
        """`client_key`: the client's public JWK, for private_key_jwt instead of the client secret."""
        self.folder, self.site, self.port = folder, site, free_port()
        self.client_key = client_key
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.state_file = folder / "provider-state.json"
        self.state: dict = {"accounts": {}, "audience": None}
        self.keys = [signing_key()]
        self.id_token_ttl = id_token_ttl
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []
        self._save()

    def _save(self) -> None:
        self.state_file.write_text(json.dumps(self.state))

    def add_person(self, login: str, *, name: str, groups: list[str], email: str | None = None) -> str:
        """A person at the provider; returns their `sub` (oidc-provider's account id: the login they type)."""
        self.state["accounts"][login] = {"name": name, "email": email, "groups": groups}
        self._save()
        return login

    def set_groups(self, login: str, groups: list[str]) -> None:
        self.state["accounts"][login]["groups"] = groups
        self._save()

    def address_id_tokens_to(self, audience: str | None) -> None:
        self.state["audience"] = audience
        self._save()

    def _client(self) -> dict:
        client = {
            "client_id": CLIENT_ID,
            "redirect_uris": [f"{self.site}/login/oidc/callback"],
            "post_logout_redirect_uris": [f"{self.site}/login"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        }
        if self.client_key is None:
            return {**client, "client_secret": CLIENT_SECRET}
        return {**client, "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [self.client_key]}}

    def start(self) -> None:
        config = self.folder / "provider-config.json"
        config.write_text(
            json.dumps(
                {
                    "issuer": self.issuer,
                    "port": self.port,
                    "stateFile": str(self.state_file),
                    "idTokenTtl": self.id_token_ttl,
                    "jwks": {"keys": self.keys},
                    "clients": [self._client()],
                }
            )
        )
        node = shutil.which("node")
        if node is None:
            _missing("Node.js is missing: the single sign-on tests need it to run oidc-provider")
        if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
            _missing("oidc-provider is not installed: run `npm ci --prefix tests/oidc` (make test does)")
        self.process = subprocess.Popen(
            [node, str(FOLDER / "provider.mjs"), str(config)],
            cwd=FOLDER,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:  # oidc-provider's warnings come first, then our ready line
            self.output.append(line)
            if line.startswith("ready "):
                self._drain = threading.Thread(target=self.output.extend, args=(self.process.stdout,), daemon=True)
                self._drain.start()
                return
        raise RuntimeError(f"oidc-provider did not start (exit {self.process.wait()}): {''.join(self.output)}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self._drain.join(timeout=10)
            assert self.process.stdout is not None
            self.process.stdout.close()
            self.process = None

    def rotate_keys(self) -> None:
        """Sign with a new key from now on; the old one is no longer published (a restart, as at a real rotation)."""
        self.stop()
        self.keys = [signing_key()]
        self.start()
