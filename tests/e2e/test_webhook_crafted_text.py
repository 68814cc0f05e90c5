"""A public comment crafted against the detector cannot hold a worker (issue 11, item 7): through a signed
webhook, 8k-20k characters of "b." or "k k " take about what an ordinary comment takes."""

import time

import pytest

from tests.e2e.test_webhooks import app, facebook_comment, post_signed  # noqa: F401  (app: the fixture)

TYPICAL = "Thanks to the officers who helped my mum yesterday, the roads near Kenilworth are flooded."


def _seconds(client, message: str) -> float:
    best = float("inf")
    for n in range(3):
        start = time.perf_counter()
        response = post_signed(client, "facebook", facebook_comment(message=message, comment_id=f"1_2_{n}"))
        best = min(best, time.perf_counter() - start)
        assert response.status_code == 200 and response.get_json()["received"]["flagged"] == 0
    return best


@pytest.mark.parametrize("crafted", ["b." * 4000, "k k " * 5000, "kiiiiiiiiiil " * 1500], ids=["b.", "k k", "kiil"])
def test_a_crafted_comment_costs_about_what_an_ordinary_one_does(client, crafted):
    typical = _seconds(client, TYPICAL)
    assert _seconds(client, crafted) < 50 * typical  # ~2-12x here; the backtracking detector took 4-6 s (~2000x)
