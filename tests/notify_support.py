"""Notification test support: a real aiosmtpd SMTP server, a real webhook endpoint, staff with e-mail."""

from __future__ import annotations

import itertools
import json
import os
import random
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from casework.access import users
from casework.notify.tables import Notification
from casework.storage.tables import User
from notifications.config import NotifySettings


def _port_block() -> range:
    """This process's own ports: below the kernel's ephemeral range, one block per pytest-xdist worker, so no
    other worker (nor any socket the kernel numbers itself) can take a port between this check and its use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    start = PORT_BLOCKS.start + index * PORT_BLOCK
    return range(start, start + PORT_BLOCK) if start + PORT_BLOCK <= PORT_BLOCKS.stop else range(0)


PORT_BLOCKS, PORT_BLOCK = range(20000, 32000), 1000  # the kernel numbers its own from 32768
_next_ports = itertools.cycle(random.sample(_port_block(), len(_port_block())))


def free_port() -> int:
    """A port nothing listens on (aiosmtpd cannot take port 0: it connects to check it is up)."""
    for port in itertools.islice(_next_ports, PORT_BLOCK):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or still held by a socket this worker closed
            return port
    with socket.socket() as sock:  # more workers than blocks: any port the kernel gives
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message; `reply` can make it refuse them."""

    def __init__(self):
        self.messages = []
        self.raw: list[bytes] = []  # each accepted message as it came over the wire
        self.reply = "250 Message accepted"

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
            self.raw.append(envelope.original_content)
        return self.reply

    def by_recipient(self) -> dict[str, list]:
        found: dict[str, list] = {}
        for rcpts, message in self.messages:
            for rcpt in rcpts:
                found.setdefault(rcpt, []).append(message)
        return found


class SmtpServer:
    def __init__(self, port: int):
        self.port, self.handler, self.controller = port, Inbox(), None

    @property
    def messages(self):
        return self.handler.messages

    def start(self, **options) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def settings(self, **overrides) -> NotifySettings:
        return NotifySettings(
            smtp_host="127.0.0.1",
            smtp_port=self.port,
            smtp_timeout=5,
            smtp_from="casework <casework@police.example>",
            message_id_domain="police.example",
            webhook_timeout=5,
            **overrides,
        )


@pytest.fixture
def smtp_server():
    """A running SMTP server on a free port."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_port_down():
    """An SMTP server object on a free port, not started yet (the test starts it)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


class WebhookReceiver:
    """A local HTTP endpoint that records each POST (headers and raw body) and answers `status`."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/casework"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


class Staff:
    """Users with e-mail addresses, created through the service, by short name."""

    def __init__(self, cw):
        self.cw = cw

    def add(self, username: str, *roles: str, force: str = "warwickshire", email: bool = True):
        users.add_user(
            self.cw,
            username,
            roles=list(roles),
            forces=[force],
            email=f"{username}@police.example" if email else None,
            display_name=username.title(),
        )
        return users.actor_for(self.cw, username)


@pytest.fixture
def staff(cw):
    return Staff(cw)


def rows(cw, **where) -> list[Notification]:
    """Notification rows matching column values, oldest first."""
    with cw.reader() as uow:
        query = select(Notification).order_by(Notification.id)
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        return list(uow.session.execute(query).scalars())


def recipients(cw, channel: str = "inbox", **where) -> dict[str, str]:
    """username -> kind of the notifications on a channel."""
    with cw.reader() as uow:
        names = {u.id: u.username for u in uow.session.execute(select(User)).scalars()}
    return {names[n.recipient_id]: n.kind for n in rows(cw, channel=channel, **where)}
