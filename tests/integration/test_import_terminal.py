"""The import progress bar appears on a terminal (a real pseudo-terminal) and never in a pipe."""

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

CASEWORK = str(Path(sys.executable).parent / "casework")


def lines_file(tmp_path, n=200):
    path = tmp_path / "flags.jsonl"
    rows = [
        {
            "force": "warwickshire",
            "platform": "facebook",
            "channel": "Force page",
            "external_id": f"t-{i}",
            "permalink": f"https://facebook.com/t-{i}",
            "text": f"comment {i}",
            "reason": "race",
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    return path


def under_a_terminal(args, env) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on a pseudo-terminal; return (exit code, everything it drew)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "120", **extra}


def test_the_progress_bar_is_drawn_on_a_terminal_and_bad_lines_still_reported(cw, make, tmp_path):
    make.staff("admin")
    path = lines_file(tmp_path)
    code, drawn = under_a_terminal(
        [CASEWORK, "--db", cw.settings.database_url, "import", str(path), "--as", "wa.admin"], environment()
    )
    assert code == 3  # the one bad line
    assert "importing" in drawn and "━" in drawn  # rich's bar, with its label
    assert f"{path.name}: line 201:" in drawn
    assert "200 new cases" in drawn


def test_no_progress_bar_when_the_output_is_not_a_terminal(cw, make, tmp_path):
    make.staff("admin")
    path = lines_file(tmp_path, n=3)
    ran = subprocess.run(
        [CASEWORK, "--db", cw.settings.database_url, "import", str(path), "--as", "wa.admin"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert ran.returncode == 3 and "3 new cases" in ran.stdout
    assert "importing" not in ran.stderr and "━" not in ran.stderr
    assert f"{path.name}: line 4:" in ran.stderr
