"""Whatever ends `accord up`, its services end too; `accord down` and a stale run file.

Real `accord up` processes run a project of two tiny services on free ports; the tests
signal them by PID and check the services' PIDs (with their start times, so a reused
pid never counts) from the run file.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from accord import lifetime, runfile
from accord import project as projects
from accord.supervisor import StartError, Supervisor
from tests.support.processes import stop, wait_http
from tests.support.tinyshop import SERVICES, TinyShop, services_alive, wait_gone

#: How long the services may outlive `accord up`.
GRACE = 2.0


@pytest.fixture
def shop(tmp_path: Path) -> TinyShop:
    return TinyShop(tmp_path)


def _kill_leftovers(run: dict) -> None:
    lifetime.terminate([(int(s["pid"]), s["started"]) for s in run["services"].values()], timeout=5)


@pytest.mark.parametrize(
    "sig",
    [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL, signal.SIGSEGV],
    ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL", "crash-SIGSEGV"],
)
def test_no_service_outlives_accord_up(shop: TinyShop, sig: signal.Signals) -> None:
    up = shop.start()
    run: dict = {"services": {}}
    try:
        run = shop.wait_run_file(up)
        assert sorted(run["services"]) == sorted(SERVICES)
        assert len(services_alive(run)) == 2
        os.kill(up.pid, sig)
        up.wait(30)
        assert wait_gone(run, GRACE) == [], f"services outlived accord up ({sig!r})"
    finally:
        stop(up)
        _kill_leftovers(run)

    # A second `accord up` on the same ports and home starts cleanly.
    again = shop.start(log="again.log")
    try:
        for name in SERVICES:
            wait_http(shop.url(name) + "/readyz", timeout=60)
        assert "in use" not in shop.log("again.log")
        assert stop(again, sig=signal.SIGINT) == 0
    finally:
        stop(again)


def test_accord_down_stops_a_shop_started_elsewhere(shop: TinyShop) -> None:
    up = shop.start()
    run: dict = {"services": {}}
    try:
        run = shop.wait_run_file(up)
        down = shop.run("down")
        assert down.returncode == 0, down.stderr
        assert "stopped accord up (pid" in down.stdout
        assert up.wait(30) == 0
        assert wait_gone(run, GRACE) == []
        assert not (shop.home / "run.json").exists()
        again = shop.run("down")
        assert again.returncode == 0
        assert again.stdout.startswith("nothing to stop")
    finally:
        stop(up)
        _kill_leftovers(run)


def test_a_second_up_refuses_while_the_first_runs(shop: TinyShop) -> None:
    up = shop.start()
    try:
        shop.wait_run_file(up)
        second = shop.run("up", timeout=30)
        assert second.returncode != 0
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert f"already up: accord up (pid {up.pid})" in lines[0]
        assert "accord down" in lines[0]
        assert up.poll() is None
    finally:
        assert stop(up, sig=signal.SIGINT) == 0


def test_up_stops_services_an_earlier_run_left_behind(shop: TinyShop) -> None:
    # An orphan, as a supervisor without a parent-death signal would leave one: a
    # service of this project in a session of its own, and a run file whose supervisor
    # is gone.
    orphan = subprocess.Popen(
        [sys.executable, "-m", "accord", "serve", "alpha_app:create_app",
         "--port", str(shop.ports["alpha"])],
        cwd=shop.root, env=shop.env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(shop.url("alpha") + "/readyz", timeout=30)
        shop.home.mkdir()
        alpha = {"url": shop.url("alpha"), "pid": orphan.pid,
                 "started": lifetime.started(orphan.pid)}  # fmt: skip
        record = {"pid": 999999, "started": "1", "services": {"alpha": alpha}}
        (shop.home / "run.json").write_text(json.dumps(record))
        up = shop.start()
        try:
            shop.wait_run_file(up)
            assert orphan.wait(10) is not None
            assert (
                f"stopped what an earlier accord up left running: alpha (pid {orphan.pid})"
                in shop.log()
            )
        finally:
            assert stop(up, sig=signal.SIGINT) == 0
    finally:
        stop(orphan)


def test_a_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    # A run file naming this very test process, with another start time: not ours.
    me = {"url": "", "pid": os.getpid(), "started": "0"}
    (tmp_path / "run.json").write_text(
        json.dumps({"pid": os.getpid(), "started": "0", "services": {"x": me}})
    )
    record = runfile.read(tmp_path)
    assert record is not None
    assert not record.supervisor.alive()
    assert runfile.stop(record, timeout=1) == []


def _squat(port: int) -> subprocess.Popen[bytes]:
    """Someone else answering 200 on ``port``, to /readyz too."""
    server = (
        "import http.server, sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'{}')\n"
        "    def log_message(self, *a): pass\n"
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
    )
    squatter = subprocess.Popen([sys.executable, "-c", server, str(port)])
    wait_http(f"http://127.0.0.1:{port}/readyz", timeout=20)
    return squatter


def test_readiness_is_judged_by_the_child_itself(shop: TinyShop) -> None:
    # Without a data plane the service binds its port itself: the squatter answers
    # /readyz with 200, but not with the child's nonce, and the child fails to bind.
    squatter = _squat(shop.ports["beta"])
    notices: list[str] = []
    supervisor = Supervisor(
        projects.load(shop.root / "accord.toml", environ={}),
        environ=shop.env,
        on_notice=notices.append,
    )
    try:
        with pytest.raises(StartError) as failed:
            asyncio.run(supervisor.start())
        message = str(failed.value)
        assert message.startswith("beta exited with status"), message
        assert "address already in use" in message, message
        assert httpx.get(shop.url("beta") + "/readyz").status_code == 200  # the squatter
        assert not (shop.home / "run.json").exists()
    finally:
        stop(squatter)


def test_up_refuses_a_public_port_someone_else_holds(shop: TinyShop) -> None:
    # With the data plane the public port is Envoy's listener: refused before starting.
    squatter = _squat(shop.ports["beta"])
    up = shop.start()
    try:
        code = up.wait(60)
        text = shop.log()
        assert code == 1, text
        assert "services up" not in text
        assert f"port {shop.ports['beta']} for beta is in use" in text
    finally:
        stop(up)
        stop(squatter)
