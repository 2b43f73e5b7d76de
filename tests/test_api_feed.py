"""200 websocket clients on /api/live while readings arrive at 1 000/s: each gets every update, in order.

Latency is not asserted here (a benchmark, not a timed test): ``benchmarks/feed.py`` prints it.
"""

from __future__ import annotations

import pytest

from tests.feed_load import run_feed_load


@pytest.mark.slow
def test_two_hundred_clients_each_receive_every_reading_in_order(tmp_path):
    load = run_feed_load(tmp_path, clients=200, rate_per_s=1000.0, seconds=3.0)
    assert load.readings == 3000
    assert load.complete == 200, load
    assert load.in_order == 200, load
    assert load.rate_per_s > 900  # the producer really kept 1 000/s
