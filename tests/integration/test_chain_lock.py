"""The chain head's row lock is taken last and held briefly: after it, one statement, then the commit."""

import pytest
from sqlalchemy import event

from casework.cases import actions

pytestmark = pytest.mark.postgres


@pytest.fixture
def after_the_head_lock(postgres_url, cw):
    """The statements each transaction runs after it locks the chain head, up to its commit."""
    seen: list[list[str]] = []
    state = {"locked": False}

    def on_statement(_conn, _cursor, statement, *_args):
        if "chain_head" in statement and "FOR UPDATE" in statement:
            state["locked"] = True
            seen.append([])
        elif state["locked"]:
            seen[-1].append(statement)

    def on_commit(_conn):
        state["locked"] = False

    event.listen(cw.engine, "before_cursor_execute", on_statement)
    event.listen(cw.engine, "commit", on_commit)
    yield seen
    event.remove(cw.engine, "before_cursor_execute", on_statement)
    event.remove(cw.engine, "commit", on_commit)


@pytest.fixture
def database_url(postgres_url):
    return postgres_url


def test_an_intake_and_a_transition_hold_the_chain_head_for_one_statement(cw, make, after_the_head_lock):
    ref = make.case("detected")
    after_the_head_lock.clear()
    actions.apply_trigger(cw, make.staff("admin"), ref, "start_review", {})
    make.case("detected")
    assert after_the_head_lock and all(len(statements) == 1 for statements in after_the_head_lock), [
        [s[:60] for s in statements] for statements in after_the_head_lock
    ]
