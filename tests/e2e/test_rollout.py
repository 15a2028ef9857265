"""End to end: releases behind Envoy with ``accord rollout`` against a real ``accord up``.

One shop for the module (free ports, a temporary ACCORD_HOME), real Envoy, real
processes. Candidates are the working tree under a new label, made bad through their
fault configuration. A background load of customer requests to orders runs through
Envoy during each rollout, and its answers are checked too. Steps are kept short
through options; nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.rollouts import (
    FAST,
    LENIENT,
    SERVICES,
    Load,
    Shop,
    bad_canary,
    blue_green,
    good_canary,
    orders_only_on,
    running_shop,
    wait_gone,
)
from tests.support.processes import ROOT, stop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    # Envoy routing HTTP (--plain): its statistics and access log are what is checked here;
    # the same rollouts over the default mutual TLS are test_rollout_tls.py's.
    with running_shop(tmp_path_factory, tls=False) as shop:
        yield shop


def test_every_call_goes_through_envoy(shop: Shop) -> None:
    run = shop.run_file()
    for name in SERVICES:
        assert run["services"][name]["port"] != shop.ports[name]
    r = httpx.get(
        shop.url("orders") + "/v1/orders?limit=1",
        headers={**shop.auth, "x-correlation-id": "ro-corr-1",
                 "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    admin = run["dataplane"]["admin"]
    assert admin.startswith("http://127.0.0.1:")
    stats = httpx.get(
        admin + "/stats", params={"filter": r"^cluster\.orders--working\.upstream_rq_2xx"}
    )
    assert int(stats.text.split(":")[-1]) >= 1
    ours = _logged(Path(run["dataplane"]["access_log"]), "ro-corr-1")
    assert ours and ours[0]["trace_id"] == "ab" * 16 and ours[0]["upstream"] == "orders--working"
    # a traceparent that is not one is not logged as a trace id
    r = httpx.get(
        shop.url("orders") + "/v1/orders?limit=1",
        headers={**shop.auth, "x-correlation-id": "ro-corr-2", "traceparent": "x" * 60},
    )
    assert r.status_code == 200, r.text
    bad = _logged(Path(run["dataplane"]["access_log"]), "ro-corr-2")
    assert bad and bad[0]["trace_id"] is None, bad


def _logged(path: Path, correlation_id: str, timeout: float = 15) -> list[dict[str, Any]]:
    """Access log entries of one correlation id (Envoy flushes its log every second)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        found = [json.loads(x) for x in lines if f'"{correlation_id}"' in x]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_good_canary_is_promoted(shop: Shop) -> None:
    good_canary(shop, "good-1")


def test_a_bad_canary_is_rolled_back_on_availability(shop: Shop) -> None:
    result = bad_canary(shop, "bad-1", *LENIENT)
    # orders declares availability 99.9 % (shop/orders/slo.py): the reason names it
    assert "< 99.90% (SLO)" in result["reason"], result
    assert result["detection_seconds"] is not None
    trail = (shop.home / "audit" / "operator.jsonl").read_text().splitlines()
    started, ended = (json.loads(line) for line in trail[-2:])
    assert (started["action"], started["target"]) == ("rollout.started", "orders")
    assert started["details"]["version"] == "bad-1"
    assert (ended["action"], ended["details"]["reason"]) == (
        "rollout.rolled_back",
        result["reason"],
    )


def test_a_slow_canary_is_rolled_back_on_latency(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    faults = json.dumps({"delay": {"seconds": 0.3}})
    with Load(shop) as load:
        code, result, out = shop.rollout(
            "orders", "slow-1", "--working-tree", "--faults", faults, *FAST
        )
    assert code == 1, out
    # orders declares no service-wide latency objective: the default's, 90 % within 250 ms
    assert "latency" in result["reason"] and "< 90.00% (SLO)" in result["reason"], result
    assert load.failures() == {}, load.codes
    wait_gone(shop, "slow-1")
    orders_only_on(shop, stable)


def test_blue_green_switches_and_rolls_back_without_a_failed_request(shop: Shop) -> None:
    switched = blue_green(shop, "green-1")
    blue = switched.blue
    assert switched.entry["primary"] == "green-1" and switched.entry["warm"] == [blue]
    assert f"back on {blue}" in switched.back.stdout
    last = json.loads((shop.home / "audit" / "operator.jsonl").read_text().splitlines()[-1])
    assert (last["action"], last["target"]) == ("rollout.rolled_back", "orders")
    assert last["details"]["version"] == blue
    assert sum(switched.load.codes.values()) > 20
    again = shop.accord("rollback", "orders")
    assert again.returncode == 2 and "nothing to roll back to" in again.stderr


def _wait_phase(
    shop: Shop, proc: subprocess.Popen[bytes], phase: str, weight: int, timeout: float = 120
) -> dict[str, Any]:
    """The rollout's status once it analyses ``weight`` %; its own output if it ended first.

    The bound only keeps a broken rollout from hanging the suite: a candidate starts, gets
    ready and is given its first weight in seconds, slower on a busy machine.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ro = shop.status()["orders"].get("rollout", {})
        if ro.get("phase") == phase and ro.get("weights", {}).get(ro.get("candidate")) == weight:
            return dict(ro)
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(
                f"the rollout ended (exit {proc.returncode}) before {phase} at {weight} %:\n"
                f"{out.decode()}{err.decode()}"
            )
        time.sleep(0.2)
    raise AssertionError(
        f"the rollout never reached {phase} at {weight} % in {timeout:.0f} s: {ro}"
    )


def _start_rollout(shop: Shop, version: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "accord", "rollout", "orders", version, "--working-tree",
         "--steps", "50,100", "--interval", "60", "--min-requests", "5",
         "--latency-threshold", "1"],
        cwd=ROOT, env=shop.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_killing_the_rollout_midway_returns_traffic_to_stable_and_says_so(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    with Load(shop) as load:
        proc = _start_rollout(shop, "killed-1")
        try:
            _wait_phase(shop, proc, "analysing", 50)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            wait_gone(shop, "killed-1")
        finally:
            stop(proc)
    entry = shop.status()["orders"]
    assert entry["rollout"]["running"] is False
    assert "all traffic back on" in entry["rollout"]["interrupted"], entry
    assert load.failures() == {}, load.codes
    orders_only_on(shop, stable)


def test_a_second_rollout_is_refused_and_abort_rolls_the_first_back(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    proc = _start_rollout(shop, "first-1")
    try:
        _wait_phase(shop, proc, "analysing", 50)
        second = shop.accord("rollout", "orders", "second-1", "--working-tree")
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"accord: a rollout of orders is already running (pid {proc.pid})"
        ]
        aborted = shop.accord("rollout", "abort", "orders")
        assert aborted.returncode == 0, aborted.stderr
        assert "aborted by hand" in aborted.stdout
        proc.communicate(timeout=60)
        assert proc.returncode == 1
    finally:
        stop(proc)
    wait_gone(shop, "first-1")
    orders_only_on(shop, stable)


def test_a_candidate_that_never_becomes_ready_is_rolled_back_after_a_timeout(shop: Shop) -> None:
    stable = shop.run_file()["services"]["orders"]["version"]
    with socket.socket() as silent:  # accepts connections, never answers one
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"postgresql+psycopg://u:p@127.0.0.1:{silent.getsockname()[1]}/orders"
        code, result, out = shop.rollout(
            "orders", "stuck-1", "--working-tree", "--env", f"ORDERS_DATABASE_URL={url}",
            "--ready-timeout", "2", *LENIENT,
        )  # fmt: skip
    assert code == 1, out
    assert result["outcome"] == "rolled_back"
    assert "stuck-1" in result["reason"] and "ready" in result["reason"], result
    wait_gone(shop, "stuck-1")
    orders_only_on(shop, stable)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "v1", "--working-tree"], "accord: unknown service 'nope'"),
        (["orders", "v9"], "accord: unknown version: no release v9 of orders (none built)"),
        (["orders", "v1", "--strategy", "linear"],
         "accord: unknown strategy 'linear' (canary or blue-green)"),
        (["orders", "v1", "--working-tree", "--steps", "50,20"],
         "accord: --steps must rise within 1..100, not '50,20'"),
        (["abort", "orders"], "accord: no rollout of orders to abort"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(shop: Shop, args: list[str], message: str) -> None:
    done = shop.accord("rollout", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [message]
