"""The shop benchmark's pieces that need no running shop: the wrk script, the figures,
the targets, the arguments and the process meter."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.harness import shop_command
from bench.harness.shopload import ProcessMeter, order_script
from bench.harness.wrk import WrkResult


def test_the_order_script_rotates_tokens_and_skus_and_makes_fresh_keys(tmp_path: Path) -> None:
    script = order_script(tmp_path, path="/v2/orders", tokens=["t1", "t2"], skus=["SKU-A"])
    text = script.read_text()
    assert '{"t1", "t2"}' in text
    assert '"/v2/orders"' in text
    assert '["Idempotency-Key"] = run .. "-" .. (tid or 0) .. "-" .. count' in text
    other = order_script(tmp_path, path="/v2/orders", tokens=["t1"], skus=["SKU-A"])
    run_of = [line for line in text.splitlines() if line.startswith("local run")]
    assert run_of and run_of[0] not in other.read_text()  # keys differ between scripts


def test_the_order_script_refuses_values_that_would_break_the_lua(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a token"):
        order_script(tmp_path, path="/v2/orders", tokens=['x"]'], skus=["SKU-A"])


def test_figures_count_only_answered_orders_and_split_cpu_by_service() -> None:
    result = WrkResult(rps=100.0, p50_ms=5.0, p99_ms=20.0, requests=1000, non_2xx=10,
                       socket_errors=0)  # fmt: skip
    got = shop_command.run_figures(
        1000, 10.0, 10, result, {"orders": 4.0, "inventory": 2.0}, {"up": 0.5, "envoy": 1.0}
    )
    assert got["orders_per_s"] == 99.0
    assert got["cpu_ms_per_order"] == 6.0  # the services' alone
    assert got["cpu_ms_per_order_by_service"] == {"orders": 4.0, "inventory": 2.0}
    assert got["cpu_ms_per_order_beside"] == {"up": 0.5, "envoy": 1.0}
    assert (got["p50_ms"], got["p99_ms"], got["failed"]) == (5.0, 20.0, 10)


def _run(orders_per_s: float, p99: float, cpu: float = 5.0) -> dict[str, float]:
    return {"orders_per_s": orders_per_s, "p99_ms": p99, "cpu_ms_per_order": cpu}


def test_targets_read_the_16_client_runs() -> None:
    runs = {
        "accord": {"sqlite": {"c16": _run(200, 50)}, "postgresql": {"c16": _run(130, 60)}},
        "twin": {"sqlite": {"c16": _run(90, 80)}},
    }
    lines = shop_command.targets(runs)
    assert lines[0].endswith("PASS") and lines[1].endswith("PASS")
    assert lines[3] == "accord postgresql c16 within 30 % of sqlite: FAIL"
    assert lines[4].endswith("PASS")
    assert shop_command.targets({})[0].endswith("not measured")


def test_arguments_are_checked() -> None:
    args = shop_command.parse_args(["--systems", "accord", "--clients", "c16", "--quick"])
    assert (args.systems, args.clients, args.duration) == (["accord"], ["c16"], 3.0)
    with pytest.raises(SystemExit):
        shop_command.parse_args(["--databases", "oracle"])


def test_the_meter_reads_a_busy_process_cpu_and_memory() -> None:
    busy = subprocess.Popen(
        [sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<3: pass"]
    )
    try:
        meter = ProcessMeter({"busy": busy.pid, "gone": 2**22 + 12345})
        time.sleep(1.5)
        usage = meter.stop()
    finally:
        busy.kill()
        busy.wait()
    assert usage.cpu_s["busy"] > 0.05
    assert usage.cpu_s["gone"] == 0.0
    assert usage.peak_rss > 1 << 20


def test_failed_statuses_are_read_from_the_script_lines() -> None:
    text = "failed status 409: 3\nfailed status 429: 1\nfailed status 409: 2\nother"
    assert shop_command.failed_statuses(text) == {"409": 5, "429": 1}
    assert shop_command.failed_statuses("") == {}
