"""The twin (``bench/twins``): four uvicorn processes on free ports, its own home.

Identity starts first (it writes the public key the others check tokens with), then
inventory and payments, then orders. Each runs ``uvicorn --factory`` with one worker,
as the FastAPI documentation deploys an app, uvloop and httptools chosen by uvicorn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from bench.harness.shop_system import ROOT, RunningSystem, StartFailed, free_port, stop_process

__all__ = ["start_twin"]

_ORDER = ("identity", "inventory", "payments", "orders")
_READY_TIMEOUT = 60.0


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"a twin service exited with {process.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise StartFailed(f"{url} was not ready within {_READY_TIMEOUT:.0f} s")


def start_twin(
    home: Path, log: Path, *, customers: int, databases: Mapping[str, str] | None = None
) -> RunningSystem:
    """Start the twin under ``home``; ``databases`` maps a service to its database URL."""
    home.mkdir(parents=True, exist_ok=True)
    ports = {s: free_port() for s in _ORDER}
    urls = {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}
    base = {**os.environ, "TWIN_HOME": str(home)}
    base.update({f"TWIN_URL_{s.upper()}": u for s, u in urls.items()})
    processes: dict[str, subprocess.Popen[bytes]] = {}
    started = time.monotonic()
    try:
        with log.open("ab") as out:
            for service in _ORDER:
                env = dict(base)
                if databases and service in databases:
                    env["TWIN_DATABASE_URL"] = databases[service]
                argv = [
                    sys.executable, "-m", "uvicorn", f"bench.twins.{service}:create_app",
                    "--factory", "--host", "127.0.0.1", "--port", str(ports[service]),
                    "--workers", "1", "--no-access-log", "--log-level", "warning",
                ]  # fmt: skip
                processes[service] = subprocess.Popen(
                    argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
                _wait_ready(urls[service], processes[service])
        ready_s = time.monotonic() - started
        tokens = _customers(urls["identity"], customers)
        operator = _operator(urls["identity"], home)
    except BaseException:
        for proc in processes.values():
            stop_process(proc)
        raise

    def restock(skus: Sequence[str], quantity: int) -> None:
        with httpx.Client(base_url=urls["inventory"], timeout=30.0) as client:
            for sku in skus:
                for start in range(0, quantity, 10_000):
                    client.post(
                        f"/skus/{sku}/restock",
                        json={"quantity": min(quantity - start, 10_000)},
                        headers={"authorization": f"Bearer {operator}"},
                    ).raise_for_status()

    return RunningSystem(
        name="twin",
        urls=urls,
        pids={s: p.pid for s, p in processes.items()},
        ready_s=ready_s,
        tokens=tokens,
        order_path="/v2/orders",
        restock=restock,
        others=list(reversed(processes.values())),
    )


def _customers(identity: str, count: int) -> list[str]:
    with httpx.Client(base_url=identity, timeout=30.0) as client:
        return [
            str(client.post("/dev-token", json={"customer_id": f"cus_{n}"}).json()["access_token"])
            for n in range(count)
        ]


def _operator(identity: str, home: Path) -> str:
    secret = json.loads((home / "clients.json").read_text())["operator"]
    grant = {"grant_type": "client_credentials", "client_id": "operator", "client_secret": secret}
    answer = httpx.post(f"{identity}/token", json=grant, timeout=30.0)
    answer.raise_for_status()
    return str(answer.json()["access_token"])
