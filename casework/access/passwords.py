"""Passwords: argon2 hashes, one check per sign-in whoever signs in, and the NCSC guidance for new ones.

NCSC: at least 12 characters, no composition rules, refuse the commonly used and the easily guessed
(zxcvbn's frequency lists, keyboard patterns, repeats and sequences) and anything built on the
user's own name. A sign-in for an unknown or disabled user checks a throw-away hash, so it takes as
long as a wrong password for a real one and the timing does not tell which usernames exist.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from casework.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn's score: 0-2 are guessable within about 10^8 guesses (online attacks and fast offline ones).
MIN_SCORE = 3
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _decoy_hash() -> str:
    return _hasher.hash("a decoy that no sign-in is meant to match")


def verify(password_hash: str | None, password: str) -> bool:
    """One argon2 verification, against the decoy when there is no hash to check."""
    try:
        _hasher.verify(password_hash or _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def check_new_password(password: str, *, username: str, display_name: str | None = None) -> None:
    """Refuse a password the NCSC guidance refuses, saying why; composition is never required."""
    if len(password) < MIN_LENGTH:
        raise ValidationError({"password": f"at least {MIN_LENGTH} characters"})
    if len(password) > MAX_LENGTH:
        raise ValidationError({"password": f"at most {MAX_LENGTH} characters"})
    folded = password.casefold()
    names = [n.casefold() for n in (username, display_name or "") if len(n.strip()) >= 3]
    if any(n in folded for n in names):
        raise ValidationError({"password": "must not contain your username or name"})
    result = zxcvbn(password[:100], user_inputs=[username, display_name or ""])
    if result["score"] < MIN_SCORE:
        warning = result["feedback"]["warning"] or "it is too easy to guess"
        raise ValidationError({"password": f"too easy to guess ({warning.rstrip('.')}): try three random words"})
