"""``accord serve`` in a real process: drain on SIGTERM, finish in-flight work, exit 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.support.processes import ROOT, free_port, running, wait_for_text, wait_http

DRAIN = 1.5


def test_sigterm_drains_then_finishes_in_flight_requests(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = {
        "OTEL_TRACES_EXPORTER": "none",
        "ACCORD_HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    args = [
        "accord",
        "serve",
        "tests.integration.runtime.service:factory",
        "--port",
        str(port),
        "--drain-delay",
        str(DRAIN),
        "--shutdown-timeout",
        "10",
    ]
    with running(args, env=env, log=log) as proc:
        wait_http(f"{base}/readyz")
        slow: dict[str, object] = {}

        def call_slow() -> None:
            try:
                r = httpx.post(f"{base}/v1/nap", json={"seconds": DRAIN + 1.0}, timeout=20)
                slow["status"] = r.status_code
                slow["body"] = r.json()
            except httpx.HTTPError as exc:  # pragma: no cover - reported by the assert
                slow["error"] = repr(exc)

        worker = threading.Thread(target=call_slow)
        worker.start()
        wait_for_text(log, f"nap started: {DRAIN + 1.0} s")
        signalled = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)

        readiness: list[int] = []
        while time.monotonic() - signalled < DRAIN - 0.3:
            readiness.append(httpx.get(f"{base}/readyz", timeout=2).status_code)
            if readiness[-1] == 503:
                break
            time.sleep(0.05)
        assert readiness and readiness[-1] == 503, readiness
        assert httpx.get(f"{base}/livez", timeout=2).status_code == 200

        worker.join(timeout=20)
        assert slow.get("status") == 200, slow
        assert slow["body"] == {"slept": DRAIN + 1.0}
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - signalled >= DRAIN

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    requests = [line for line in lines if line["event"] == "request"]
    assert any(r["route"] == "/v1/nap" and r["status"] == 200 for r in requests)
    assert any(r["path"] == "/readyz" and r["status"] == 503 for r in requests)
    uvicorn_lines = [line for line in lines if line.get("logger", "").startswith("uvicorn")]
    assert uvicorn_lines, "uvicorn's own logs should be JSON lines too"
    assert all(line["service"] == "sleeper" for line in lines)


def test_a_connection_past_its_maximum_age_is_closed_after_an_announced_response(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "OTEL_TRACES_EXPORTER": "none",
        "ACCORD_HOME": str(tmp_path),
        "ACCORD_CONNECTION_MAX_AGE": "0.5",
    }
    args = ["accord", "serve", "tests.integration.runtime.service:factory", "--port", str(port)]
    with running(args, env=env, log=tmp_path / "serve.log"):
        wait_http(f"{base}/readyz")
        peers: list[object] = []
        closes: list[str | None] = []

        def seen(r: httpx.Response) -> None:  # before the body: the socket is still open
            peers.append(r.extensions["network_stream"].get_extra_info("client_addr"))
            closes.append(r.headers.get("connection"))

        with httpx.Client(timeout=5, event_hooks={"response": [seen]}) as http:
            for pause in (0.7, 0.0, 0.0):
                r = http.post(f"{base}/v1/nap", json={"seconds": 0.0})
                assert r.status_code == 200, r.text
                time.sleep(pause)
        # young: kept alive; past 0.5 s: "close" announced, and the next request comes
        # on a new connection (a new client port), which is young again
        assert closes == [None, "close", None], closes
        assert peers[0] == peers[1] != peers[2], peers


def test_a_connection_age_that_is_not_a_positive_number_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "accord", "serve", "tests.integration.runtime.service:factory",
         "--port", str(free_port())],
        env={**os.environ, "ACCORD_HOME": str(tmp_path), "ACCORD_CONNECTION_MAX_AGE": "soon"},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "ACCORD_CONNECTION_MAX_AGE must be a positive number" in done.stderr
    assert "Traceback" not in done.stderr


def test_each_response_arrives_whole_in_one_read(tmp_path: Path) -> None:
    # The head and the body are written together (accord.runtime.onewrite): the first
    # read after a request returns the whole response. Written apart, as uvicorn does,
    # a read that wakes at the head's segment returns the head alone.
    port = free_port()
    env = {"OTEL_TRACES_EXPORTER": "none", "ACCORD_HOME": str(tmp_path)}
    args = ["accord", "serve", "tests.integration.runtime.service:factory", "--port", str(port)]
    with running(args, env=env, log=tmp_path / "serve.log"):
        wait_http(f"http://127.0.0.1:{port}/readyz")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(50):
                sock.sendall(b"GET /livez HTTP/1.1\r\nhost: t\r\n\r\n")
                first = sock.recv(65536)  # returns as soon as any of the answer is here
                head, _, body = first.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 "), first
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")[1:]
                    if line.lower().startswith(b"content-length:")
                )
                assert len(body) == length > 0, first
