"""One demo world for the whole-site checks: the demo's 40 cases, a refusal, notes, an evidence id that
looks like a code, breached deadlines, delivered e-mails; and every page each of its users can open."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlmodel import select
from werkzeug.serving import make_server

from casework.access import users
from casework.bootstrap import bootstrap
from casework.cases import actions
from casework.clock import FrozenClock
from casework.config import Settings
from casework.entrypoints.demo import demo_usernames, load_demo
from casework.errors import ValidationError
from casework.intake import flags as intake
from casework.runtime import Casework
from casework.sla.sweep import sweep
from casework.storage.schema import migrate
from casework.storage.tables import Case
from notifications.dispatch import dispatch_pending
from tests.conftest import START, TEST_SECRET_KEY
from tests.notify_support import SmtpServer, free_port
from web import create_app

CODE_LIKE_ID = "ux_123_456"  # an external id shaped like a code: evidence, shown verbatim


@dataclass
class World:
    cw: Casework
    clock: FrozenClock
    refs: dict[str, str]  # state -> a warwickshire case in it
    odd_ref: str  # the case whose external id looks like a code
    mails: list[EmailMessage] = field(default_factory=list)
    url: str = ""

    def pages_for(self, username: str, every_case: bool = True) -> list[str]:
        """Every page (and page state) the user's roles can open; with every_case off, one case per state."""
        actor = users.actor_for(self.cw, username)
        roles = actor.roles
        mine = list(self.refs.values()) if every_case else self.one_per_state
        refs = mine if "warwickshire" in actor.forces else []
        if "west_mercia" in actor.forces:
            refs += self.wm_refs
        pages = ["/queue", "/dashboard", "/workflow", "/inbox", "/inbox/preferences"]
        pages += [f"/cases/{r}" for r in refs]
        if "channel_admin" in roles:
            pages.append("/flag")
        if roles & {"auditor", "supervisor"}:
            pages += ["/audit", f"/audit?reference={refs[0]}", "/audit/integrity"]
            pages += [f"/audit/cases/{r}" for r in refs[:3]]
        if "supervisor" in roles:
            pages.append("/inbox/failed")
        if "auditor" in roles:
            pages += ["/audit/exports", f"/audit/disclosures?case={refs[0]}", f"/audit/disclosures?user={username}"]
            pages += [f"/audit/cases/{r}/print" for r in refs[:3]]
        return pages

    @property
    def one_per_state(self) -> list[str]:
        """A warwickshire case in each state (one closed one), and the case with the code-like evidence id."""
        seen: dict[str, str] = {}
        for key, ref in self.refs.items():
            seen.setdefault(key.split(":")[0], ref)
        return list(seen.values())

    @property
    def wm_refs(self) -> list[str]:
        with self.cw.reader() as uow:
            cases = uow.session.exec(select(Case).where(Case.force == "west_mercia").order_by(Case.id)).all()
        seen: dict[str, str] = {}
        for case in cases:
            seen.setdefault(case.state, case.reference)
        return list(seen.values())

    @property
    def usernames(self) -> list[str]:
        return demo_usernames(self.cw)


def build_world(directory) -> World:
    clock = FrozenClock(START)
    cw = bootstrap(Settings(secret_key=TEST_SECRET_KEY, database_url=f"sqlite:///{directory}/casework.db"), clock=clock)
    migrate(cw.engine)
    load_demo(cw)
    admin, comms2 = users.actor_for(cw, "wk.admin"), users.actor_for(cw, "wk.comms2")
    odd = intake.flag_comment(
        cw,
        admin,
        {
            "force": "warwickshire",
            "platform": "facebook",
            "channel": "Warwickshire Police",
            "external_id": CODE_LIKE_ID,
            "permalink": "https://facebook.com/123_456",
            "text": "You lot are vermin",
            "reason": "race",
        },
    ).case.reference
    actions.apply_trigger(cw, admin, odd, "start_review", {})
    try:
        actions.apply_trigger(cw, admin, odd, "refer", {"category": ["hate_crime"]})
    except ValidationError:
        pass  # a refusal, recorded on the timeline
    actions.add_comment(cw, comms2, odd, "Looks like the same author as last week; @wk.bureau please check.")
    clock.advance(days=3)
    sweep(cw)
    smtp = SmtpServer(free_port()).start()
    try:
        dispatch_pending(cw, limit=1000, settings=smtp.settings())
    finally:
        smtp.stop()
    with cw.reader() as uow:
        cases = uow.session.exec(select(Case).where(Case.force == "warwickshire").order_by(Case.id)).all()
    refs: dict[str, str] = {}
    for case in cases:
        refs.setdefault(case.state + (":" + case.outcome if case.outcome else ""), case.reference)
    refs["odd"] = odd
    return World(cw, clock, refs, odd, [m for _, m in smtp.messages])


def serve(world: World):
    """Serve the world's app on a free port in a thread; returns the server to shut down."""
    server = make_server("127.0.0.1", 0, create_app({"CASEWORK": world.cw}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    world.url = f"http://127.0.0.1:{server.server_port}"
    return server
