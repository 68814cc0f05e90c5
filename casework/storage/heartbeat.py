"""The scheduler's heartbeat: a row each scheduler updates, so `/readyz` in any process can tell it lives."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

from casework.storage.db import UTCDateTime


class Heartbeat(SQLModel, table=True):
    """The last beat of one kind of process; `every` is its interval, so freshness needs no other setting."""

    __tablename__ = "heartbeats"

    name: str = Field(primary_key=True, max_length=40)
    beat_at: datetime = Field(sa_type=UTCDateTime)
    every_seconds: float
    process: str = Field(max_length=200)


class Beating(Protocol):
    @property
    def engine(self) -> Engine: ...

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Pulse:
    beat_at: datetime
    every: timedelta
    process: str

    def fresh(self, now: datetime, beats: int = 3) -> bool:
        return now - self.beat_at < beats * self.every


def beat(cw: Beating, every_seconds: float, name: str = "scheduler") -> None:
    """Record that this process's scheduler ran now (an UPDATE, or the first INSERT)."""
    values = {"beat_at": cw.now(), "every_seconds": every_seconds, "process": f"{socket.gethostname()}:{os.getpid()}"}
    with cw.engine.begin() as connection:
        done = connection.execute(update(Heartbeat).where(col(Heartbeat.name) == name).values(**values))
        if done.rowcount == 0:
            try:
                with connection.begin_nested():
                    connection.execute(insert(Heartbeat).values(name=name, **values))
            except IntegrityError:  # another scheduler inserted it first: its beat is as good
                pass


def last_pulse(engine: Engine, name: str = "scheduler") -> Pulse | None:
    with engine.connect() as connection:
        row = connection.execute(select(Heartbeat).where(col(Heartbeat.name) == name)).one_or_none()
    if row is None:
        return None
    return Pulse(row.beat_at, timedelta(seconds=row.every_seconds), row.process)
