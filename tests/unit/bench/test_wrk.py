"""Reading wrk's ``--latency`` output and writing its POST script."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from bench.harness import wrk
from bench.harness.variants import ORDER, ORDER_TOTAL

CLEAN = """\
Running 10s test @ http://127.0.0.1:40111/orders
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.33ms    1.68ms  18.64ms   82.93%
    Req/Sec    19.34k     5.77k   29.49k    56.25%
  Latency Distribution
     50%    2.63ms
     75%    3.99ms
     90%    5.39ms
     99%    9.20ms
  154179 requests in 8.02s, 20.00MB read
Requests/sec:  19222.31
Transfer/sec:      2.49MB
"""

FAILING = """\
Running 3s test @ http://127.0.0.1:40111/orders
  1 threads and 64 connections
  Latency Distribution
     50%  812.00us
     75%    1.10ms
     90%    1.50ms
     99%    1.20s
  9000 requests in 3.00s, 1.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 8999
Requests/sec:   3000.00
Transfer/sec:    333.00KB
"""


def test_reads_rate_percentiles_and_requests() -> None:
    result = wrk.parse(CLEAN)
    assert result == wrk.WrkResult(
        rps=19222.31, p50_ms=2.63, p99_ms=9.20, requests=154179, non_2xx=0, socket_errors=0
    )
    assert result.clean


def test_converts_units_and_counts_errors() -> None:
    result = wrk.parse(FAILING)
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1200.0)
    assert result.non_2xx == 8999
    assert result.socket_errors == 7
    assert not result.clean


def test_output_without_latency_distribution_is_refused() -> None:
    without = "\n".join(line for line in CLEAN.splitlines() if "%" not in line)
    with pytest.raises(wrk.WrkError, match="--latency"):
        wrk.parse(without)


def test_post_script_sends_the_order_as_json(tmp_path: Path) -> None:
    script = wrk.post_script(tmp_path, ORDER).read_text()
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    body = script.split("wrk.body = [[", 1)[1].split("]]", 1)[0]
    order = msgspec.json.decode(body)
    assert len(order["items"]) == 5
    assert sum(i["qty"] for i in order["items"]) == ORDER_TOTAL


def test_missing_wrk_without_install_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(wrk.WrkError, match="apt-get install -y wrk"):
        wrk.ensure_wrk(install=False)
