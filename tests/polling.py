"""Waiting on real things (a scheduler, a server) that finish in their own time, with a bound."""

import time

import pytest


def wait_for(condition, timeout=15.0, every=0.05):
    """Poll until `condition()` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"condition not met within {timeout} s")
