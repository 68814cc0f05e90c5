"""Which force owns a platform account or page: a TOML file named by CASEWORK_CHANNELS_FILE."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from casework.errors import ValidationError
from workflows.a017 import PLATFORMS


@dataclass(frozen=True)
class Channel:
    platform: str
    account_id: str
    force: str
    name: str


class Channels:
    """The configured channels, looked up by (platform, account id)."""

    def __init__(self, channels: Iterable[Channel] = ()) -> None:
        self._by_key = {(c.platform, c.account_id): c for c in channels}

    def __len__(self) -> int:
        return len(self._by_key)

    def resolve(self, platform: str, account_id: str | None) -> Channel:
        channel = self._by_key.get((platform, account_id or ""))
        if channel is None:
            raise ValidationError(
                {
                    "channel": f"{platform} account {account_id!r} is not a configured channel "
                    "(add it to the channels file, CASEWORK_CHANNELS_FILE)"
                }
            )
        return channel


def load_channels(path: Path, forces: Collection[str]) -> Channels:
    """Read `[[channel]]` tables (platform, account_id, force, name); every problem names the entry."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError({"channels_file": f"{path}: {exc}"}) from exc
    entries = data.get("channel")
    if not isinstance(entries, list) or not entries:
        raise ValidationError({"channels_file": f"{path}: needs at least one [[channel]] table"})
    channels: list[Channel] = []
    seen: set[tuple[str, str]] = set()
    for n, entry in enumerate(entries):
        where = f"{path}: channel[{n}]"
        if not isinstance(entry, dict):
            raise ValidationError({"channels_file": f"{where}: must be a table"})
        if unknown := sorted(set(entry) - {"platform", "account_id", "force", "name"}):
            raise ValidationError({"channels_file": f"{where}: unknown key(s) {', '.join(unknown)}"})
        platform, account, force, name = (entry.get(k) for k in ("platform", "account_id", "force", "name"))
        if platform not in PLATFORMS:
            raise ValidationError({"channels_file": f"{where}.platform: one of {', '.join(PLATFORMS)}"})
        if not isinstance(account, str) or not account.strip() or len(account) > 200:
            raise ValidationError({"channels_file": f"{where}.account_id: the platform's id of the account, as text"})
        if not isinstance(force, str) or force not in forces:
            raise ValidationError({"channels_file": f"{where}.force: one of {', '.join(sorted(forces))}"})
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ValidationError({"channels_file": f"{where}.name: the channel's name, 1-200 characters"})
        if (platform, account.strip()) in seen:
            raise ValidationError({"channels_file": f"{where}: {platform} account {account} is listed twice"})
        seen.add((platform, account.strip()))
        channels.append(Channel(platform, account.strip(), force, name.strip()))
    return Channels(channels)


def configured_channels(forces: Collection[str], env: Mapping[str, str] | None = None) -> Channels:
    """The channels of CASEWORK_CHANNELS_FILE; none configured means every platform delivery is refused."""
    source: Mapping[str, str] = os.environ if env is None else env
    path = source.get("CASEWORK_CHANNELS_FILE")
    return load_channels(Path(path), forces) if path else Channels()
