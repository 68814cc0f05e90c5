"""The `casework` command line on a real SQLite file: clear messages and exit codes."""

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Engine

from casework.entrypoints.cli import main


@pytest.fixture
def cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, ["--db", url, *args], input=input, catch_exceptions=False)

    assert run("init").exit_code == 0
    return run


def add_users(cli):
    for name, role in (("ann", "channel_admin"), ("ben", "crime_bureau"), ("cat", "comms")):
        result = cli(
            "users",
            "add",
            name,
            "--role",
            role,
            "--force",
            "warwickshire",
            "--password-stdin",
            input="a-long-password\n",
        )
        assert result.exit_code == 0, result.output


FLAG = [
    "flag",
    "--as",
    "ann",
    "--force",
    "warwickshire",
    "--platform",
    "x",
    "--channel",
    "@WarksPolice",
    "--external-id",
    "186123",
    "--url",
    "https://x.com/a/status/186123",
    "--text",
    "<b>nasty</b>",
    "--reason",
    "race",
    "--author",
    "someone",
]


def test_a_case_is_worked_end_to_end_from_the_command_line(cli):
    add_users(cli)
    assert "opened WK-2026-000001" in cli(*FLAG).output
    assert "re-flagged existing case WK-2026-000001" in cli(*FLAG).output
    assert cli("transition", "WK-2026-000001", "start_review", "--as", "ann").exit_code == 0
    refer = cli(
        "transition",
        "WK-2026-000001",
        "refer",
        "--as",
        "ann",
        "--set",
        "category=hate_crime",
        "--set",
        "strands=race",
        "--set",
        "strands=religion",
        "--set",
        "threat_to_life=no",
        "--set",
        "note=please advise",
        "--version",
        "2",
    )
    assert refer.exit_code == 0 and "admin_review -> crime_bureau_advice (version 3)" in refer.output
    advice = cli(
        "transition",
        "WK-2026-000001",
        "give_advice",
        "--as",
        "ben",
        "--set",
        "outcome=no_crime",
        "--set",
        "rationale=no offence",
        "--set",
        "advice=moderate",
    )
    assert advice.exit_code == 0
    assert (
        cli(
            "transition",
            "WK-2026-000001",
            "close",
            "--as",
            "cat",
            "--set",
            "actions=hidden,replied",
            "--set",
            "note=done",
        ).exit_code
        == 0
    )
    shown = cli("cases", "show", "WK-2026-000001", "--as", "ann")
    assert "[closed]" in shown.output and "<b>nasty</b>" in shown.output and '"religion"' in shown.output
    history = cli("cases", "history", "WK-2026-000001").output
    assert history.count("transition") == 4 and "reflagged" in history
    assert "WK-2026-000001" in cli("cases", "list", "--state", "closed").output
    assert cli("audit", "verify").exit_code == 0


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["transition", "WK-2026-000001", "refer", "--as", "ann"], 6, "possible there: start_review"),
        (["transition", "WK-2026-000001", "start_review", "--as", "ben"], 5, "needs the role channel_admin"),
        (["transition", "WK-2026-000009", "start_review", "--as", "ann"], 4, "no case"),
        (["transition", "WK-2026-000001", "start_review", "--as", "nobody"], 4, "no user"),
        (["transition", "WK-2026-000001", "start_review", "--as", "ann", "--version", "7"], 7, "changed since"),
        (["transition", "WK-2026-000001", "start_review", "--as", "ann", "--set", "oops"], 2, "key=value"),
        (["cases", "show", "NOPE"], 4, "no case"),
    ],
)
def test_errors_have_clear_messages_and_exit_codes(cli, args, code, message):
    add_users(cli)
    cli(*FLAG)
    result = cli(*args)
    assert result.exit_code == code
    assert message in result.output


def test_bad_flag_input_names_the_field(cli):
    add_users(cli)
    result = cli(*[a if a != "https://x.com/a/status/186123" else "ftp://x" for a in FLAG])
    assert result.exit_code == 3 and "permalink: must be an http(s) URL" in result.output


def test_a_comment_file_that_is_not_utf8_is_refused(cli, tmp_path):
    add_users(cli)
    path = tmp_path / "comment.txt"
    path.write_bytes(b"caf\xe9 latin-1")
    args = [a for a in FLAG if a not in ("--text", "<b>nasty</b>")] + ["--text-file", str(path)]
    result = cli(*args)
    assert result.exit_code == 3 and "not UTF-8" in result.output


def test_users_are_validated(cli):
    result = cli("users", "add", "Bad Name!", "--role", "comms", "--force", "mars", "--password-stdin", input="short\n")
    assert result.exit_code == 3
    assert "username" in result.output and "forces" in result.output and "password" in result.output


def test_init_demo_creates_every_state_and_outcome(cli):
    result = cli("init", "--demo")
    assert "13 users, 40 cases" in result.output
    listing = cli("cases", "list", "--per-page", "200").output
    for state in ("detected", "admin_review", "crime_bureau_advice", "comms_action", "closed"):
        assert state in listing
    assert "left as it is" in cli("init", "--demo").output
    assert cli("audit", "verify").exit_code == 0


def test_the_workflow_diagram_is_mermaid_from_the_declaration(cli):
    result = cli("workflow", "diagram")
    assert result.output.startswith("stateDiagram-v2")
    assert "admin_review --> crime_bureau_advice : refer (channel_admin, comms)" in result.output


def test_every_command_has_help(cli):
    for args in (
        ["--help"],
        ["cases", "--help"],
        ["transition", "--help"],
        ["users", "add", "--help"],
        ["audit", "verify", "--help"],
        ["flag", "--help"],
        ["init", "--help"],
    ):
        result = cli(*args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_cases_list_pages_by_cursor_without_offset_or_count(cli):
    cli("init", "--demo")
    statements: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, *args):
        statements.append((statement.upper(), tuple(parameters or ())))

    event.listen(Engine, "before_cursor_execute", record)  # the command makes its own engine
    try:
        pages = [cli("cases", "list", "--per-page", "7").output]
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    listing = [(s, p) for s, p in statements if "FROM CASES" in s]
    assert listing and not [s for s, _ in listing if "COUNT(" in s]
    # SQLAlchemy writes SQLite's LIMIT as `LIMIT ? OFFSET ?` with 0: skipping no rows is no OFFSET
    assert all(p[-1] == 0 for s, p in listing if "OFFSET" in s)
    while cursor := re.search(r"--after (\S+)", pages[-1]):
        pages.append(cli("cases", "list", "--per-page", "7", "--after", cursor.group(1)).output)
    refs = [ref for page in pages for ref in re.findall(r"[A-Z]{2}-\d{4}-\d{6}", page)]
    assert len(pages) == 6 and len(refs) == len(set(refs)) == 40


def test_cases_list_refuses_a_forged_cursor_with_exit_3(cli):
    result = cli("cases", "list", "--after", "forged")
    assert result.exit_code == 3 and "after" in result.output
