"""The per-instance signing secret: `casework init` writes a random one, `serve` refuses a weak or public one.

Everything that signs (session cookies, CSRF tokens) uses this secret, so a value that ships with the
code, or appears in it, would let anyone with a copy of the source forge what the instance signs.
"""

from __future__ import annotations

import ast
import os
import secrets
import stat
from pathlib import Path

from casework.config import SECRET_FILE, Settings
from casework.errors import ValidationError

MIN_BYTES = 32
SETTING = "CASEWORK_SECRET_KEY"
_SOURCE_ROOT = Path(__file__).resolve().parents[2]
_SOURCE_PARTS = ("casework", "web", "workflows", "notifications", "migrations", "bench")
_SOURCE_FILES = ("README.md", "pyproject.toml", "Makefile")
_TEXT = {".py", ".md", ".toml", ".html", ".txt", ".cfg", ".ini", ".json", ".js", ".css", ".mako", ".sh"}


def write_instance_secret(instance_path: Path) -> tuple[str, bool]:
    """The instance's secret, generated and written with mode 0600 unless the file exists; (key, written)."""
    path = instance_path / SECRET_FILE
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip(), False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key, True


def check_secret_key(settings: Settings) -> str:
    """The configured secret, refused when missing, shorter than 32 bytes, public, or in a readable file."""
    key = settings.secret_key
    if not key:
        raise ValidationError({SETTING: "no secret key: run `casework init` or set CASEWORK_SECRET_KEY"})
    if len(key.encode("utf-8")) < MIN_BYTES:
        raise ValidationError({SETTING: f"the secret key must be at least {MIN_BYTES} bytes long"})
    if _in_source(key):
        raise ValidationError({SETTING: "the secret key appears in casework's source: choose a random one"})
    path = settings.instance_path / SECRET_FILE
    if path.exists() and path.read_text(encoding="utf-8").strip() == key:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ValidationError({SETTING: f"{path} is readable by other users (mode {mode:o}): chmod 600 it"})
    return key


def _in_source(key: str) -> bool:
    """Whether the key is written anywhere in casework's own source tree, or is one of its string values."""
    paths = [_SOURCE_ROOT / name for name in _SOURCE_FILES]
    for part in _SOURCE_PARTS:
        paths.extend(p for p in (_SOURCE_ROOT / part).rglob("*") if p.suffix in _TEXT)
    for path in paths:
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if key in text or (path.suffix == ".py" and key in _string_values(text)):
            return True
    return False


def _string_values(source: str) -> set[str]:
    """The string constants of a Python module, with implicitly joined literals joined."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
