"""The shop as a user runs it: ``accord up`` on free ports, its own home, auth on.

:func:`start_accord` starts ``accord up`` in its own session, waits for the run file
(written once every service answered ready), registers and logs in customers through
identity, and returns a :class:`~bench.harness.shop_system.RunningSystem` whose
``restock`` adds stock through inventory's API with the operator's client credentials.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from accord.security.clientkeys import ASSERTION_TYPE, ClientKeys, sign_assertion
from accord.security.tls import SUPERVISOR
from bench.harness.shop_system import ROOT, RunningSystem, StartFailed, free_port, stop_process

__all__ = ["SERVICES", "start_accord"]

SERVICES = ("identity", "inventory", "payments", "orders")
_DATABASE_VARIABLES = {s: f"{s.upper()}_DATABASE_URL" for s in SERVICES}
_READY_TIMEOUT = 90.0


def start_accord(
    home: Path, log: Path, *, customers: int, databases: Mapping[str, str] | None = None
) -> RunningSystem:
    """``accord up`` under ``home``; ``databases`` maps a service to its database URL."""
    ports = {s: free_port() for s in SERVICES}
    env = {**os.environ, "ACCORD_HOME": str(home)}
    for service, url in (databases or {}).items():
        env[_DATABASE_VARIABLES[service]] = url
    accord = Path(sys.executable).with_name("accord")
    argv = [str(accord), "up", "--plain", "--raw", *(f"--port={s}={p}" for s, p in ports.items())]
    started = time.monotonic()
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        pids, beside = _wait_ready(home, process)
        ready_s = time.monotonic() - started
        urls = {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}
        tokens = _customers(urls["identity"], customers)
        operator = _operator_token(urls["identity"], home)
    except BaseException:
        stop_process(process)
        raise

    def restock(skus: Sequence[str], quantity: int) -> None:
        _restock(urls["inventory"], operator, skus, quantity)

    return RunningSystem(
        name="accord",
        urls=urls,
        pids=pids,
        ready_s=ready_s,
        tokens=tokens,
        order_path="/v2/orders",
        restock=restock,
        process=process,
        beside=beside,
    )


def _wait_ready(
    home: Path, process: subprocess.Popen[bytes]
) -> tuple[dict[str, int], dict[str, int]]:
    """The services' pids, from the run file ``accord up`` writes once all are ready, and
    those of the processes beside them: ``accord up`` itself and its Envoy."""
    run_file = home / "run.json"
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"accord up exited with {process.returncode}")
        try:
            data = json.loads(run_file.read_text())
            services = {name: int(svc["pid"]) for name, svc in data["services"].items()}
            beside = {"up": process.pid}
            if (data.get("dataplane") or {}).get("pid"):
                beside["envoy"] = int(data["dataplane"]["pid"])
            return services, beside
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.05)
    raise StartFailed(f"the shop was not ready within {_READY_TIMEOUT:.0f} s")


def _customers(identity: str, count: int) -> list[str]:
    """Register ``count`` new customers and log each in: their access tokens."""
    tokens: list[str] = []
    with httpx.Client(base_url=identity, timeout=30.0) as client:
        for n in range(count):
            email = f"bench-{n}-{secrets.token_hex(4)}@bench.shop"
            password = secrets.token_urlsafe(12)
            body = {"email": email, "password": password}
            key = {"idempotency-key": secrets.token_hex(16)}
            client.post("/v1/customers", json=body, headers=key).raise_for_status()
            answer = client.post("/v1/login", json=body)
            answer.raise_for_status()
            tokens.append(str(answer.json()["access_token"]))
    return tokens


def _operator_token(identity: str, home: Path) -> str:
    """The shop's staff token (``inventory:admin``), by the client-credentials grant,
    authenticated with the supervisor's own key (``private_key_jwt``, as under
    ``accord up --plain``): no shared secret."""
    token_url = f"{identity}/v1/token"
    signer = ClientKeys.under(home).private_key(SUPERVISOR)
    grant = {
        "grant_type": "client_credentials",
        "client_id": "operator",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": sign_assertion(signer, "operator", token_url),
        "scope": "inventory:admin",
    }
    key = {"idempotency-key": secrets.token_hex(16)}
    answer = httpx.post(token_url, json=grant, headers=key, timeout=30.0)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _restock(inventory: str, token: str, skus: Sequence[str], quantity: int) -> None:
    """Add ``quantity`` of every SKU, in restocks of at most 10,000 (the API's bound)."""
    with httpx.Client(base_url=inventory, timeout=30.0) as client:
        for sku in skus:
            left = quantity
            while left > 0:
                step = min(left, 10_000)
                headers = {
                    "authorization": f"Bearer {token}",
                    "idempotency-key": secrets.token_hex(16),
                }
                answer = client.post(
                    f"/v1/skus/{sku}/restock", json={"quantity": step}, headers=headers
                )
                answer.raise_for_status()
                left -= step
