"""No shipped secret: `init` writes a random one per instance, and `serve` refuses a weak or public one."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from casework.access.secret_key import check_secret_key, write_instance_secret
from casework.config import DEFAULT_NOTICE, Settings
from casework.entrypoints.cli import main
from casework.errors import ValidationError
from web import create_app


def init(tmp_path, **env):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'c.db'}", "init"], env=env)
    assert result.exit_code == 0, result.output
    return result


def test_there_is_no_default_secret():
    assert Settings().secret_key is None
    assert Settings.from_env({}).secret_key is None


def test_init_writes_a_random_secret_readable_only_by_its_owner(tmp_path, instance_folder):
    result = init(tmp_path)
    path = instance_folder / "secret_key"
    assert f"secret key: written to {path}" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key.encode()) >= 32
    assert Settings.from_env().secret_key == key  # what the instance signs with from now on
    assert "kept in" in init(tmp_path).output and path.read_text().strip() == key  # a second init keeps it
    other, _ = write_instance_secret(tmp_path / "another-instance")
    assert other != key


def test_init_writes_nothing_when_the_key_is_configured(tmp_path, instance_folder):
    init(tmp_path, CASEWORK_SECRET_KEY="k" * 40)
    assert not (instance_folder / "secret_key").exists()
    assert Settings.from_env({"CASEWORK_SECRET_KEY": "k" * 40}).secret_key == "k" * 40


def test_sessions_and_csrf_sign_with_the_instance_secret(cw, tmp_path, instance_folder):
    key, _ = write_instance_secret(instance_folder)
    cw.settings = Settings.from_env(database_url=cw.settings.database_url)
    assert create_app({"CASEWORK": cw}).config["SECRET_KEY"] == key


def test_the_app_refuses_to_start_without_a_secret(cw):
    cw.settings = Settings(database_url=cw.settings.database_url)
    with pytest.raises(ValidationError, match="no secret key"):
        create_app({"CASEWORK": cw})


@pytest.mark.parametrize(
    "key,why",
    [
        (None, "no secret key"),
        ("dev-only-secret-change-me", "at least 32 bytes"),
        ("x" * 31, "at least 32 bytes"),
        (DEFAULT_NOTICE, "appears in casework's source"),
        ("default-src 'self'; script-src 'self'; style-src 'self'", "appears in casework's source"),
    ],
)
def test_a_weak_or_public_key_is_refused(key, why):
    with pytest.raises(ValidationError, match=why):
        check_secret_key(Settings(secret_key=key))


def test_a_secret_file_others_can_read_is_refused(tmp_path):
    key, _ = write_instance_secret(tmp_path)
    (tmp_path / "secret_key").chmod(0o644)
    with pytest.raises(ValidationError, match="readable by other users"):
        check_secret_key(Settings(secret_key=key, instance_path=tmp_path))
    (tmp_path / "secret_key").chmod(0o600)
    assert check_secret_key(Settings(secret_key=key, instance_path=tmp_path)) == key


@pytest.mark.parametrize("key", ["dev-only-secret-change-me", "short"])
def test_serve_refuses_a_weak_key_before_it_listens(sqlite_url, key):
    env = {**os.environ, "CASEWORK_DATABASE_URL": sqlite_url, "CASEWORK_SECRET_KEY": key}
    cli = Path(sys.executable).parent / "casework"
    done = subprocess.run([str(cli), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "CASEWORK_SECRET_KEY: the secret key must be at least 32 bytes long" in done.stderr
    assert "serving on" not in done.stdout


@pytest.mark.parametrize("key,why", [("short", "at least 32 bytes"), ("", "no secret key")])
def test_the_wsgi_app_refuses_a_weak_or_missing_key_too(tmp_path, key, why):
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "CASEWORK_SECRET_KEY": key}
    done = subprocess.run(
        [sys.executable, "-c", "import web.wsgi"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and why in done.stderr
