"""The shop as ``accord up`` runs it, for the benchmarks that measure it end to end.

``bench/tls.py`` and ``bench/rollout.py`` share it: a :class:`Shop` in a temporary home
on free ports (mutual TLS or ``--plain``), its customers with their tokens, and a closed
loop of customers placing orders (``POST /v1/orders``) whose figures are req/s, p50, p99
and errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from accord.security import CertStore
from accord.security.tls import TLSConfig, client_context
from tests.support.processes import ROOT, free_port, stop

__all__ = ["CLIENT", "SERVICES", "Shop", "closed_loop", "order_body", "percentile"]

SERVICES = ("identity", "orders", "inventory", "payments")
SKUS = ("SKU-APPLE", "SKU-PEAR")
#: The certificate customers present to a shop over mutual TLS.
CLIENT = "bench-customer"


class Shop:
    """``accord up`` (mutual TLS, or ``--plain``) in a temporary home on free ports.

    ``max_age``: how long a connection carries requests behind Envoy
    (``ACCORD_CONNECTION_MAX_AGE``); ``extra``: further ``accord up`` arguments.
    """

    def __init__(
        self,
        *,
        tls: bool,
        prefix: str,
        max_age: str | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.tls = tls
        self.home = Path(tempfile.mkdtemp(prefix=prefix))
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {**os.environ, "ACCORD_HOME": str(self.home)}
        if max_age is not None:
            self.env["ACCORD_CONNECTION_MAX_AGE"] = max_age
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        """The well-known URL of ``name`` (Envoy's listener)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.ports[name]}"

    def direct_url(self, name: str) -> str:
        """The URL of ``name``'s own process, behind Envoy (from the run file)."""
        run = json.loads((self.home / "run.json").read_text())
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{run['services'][name]['port']}"

    def verify(self, peer: str) -> ssl.SSLContext | bool:
        """What a customer's client verifies ``peer`` with (and presents, over TLS)."""
        if not self.tls:
            return True
        return client_context(TLSConfig(self.home / "certs", CLIENT), peer)

    def start(self) -> None:
        """Start ``accord up``, its output to ``<home>/up.log``; :meth:`wait` for it."""
        mode = "--tls" if self.tls else "--plain"
        argv = [sys.executable, "-m", "accord", "up", mode, "--raw", *self.extra]
        for name, port in self.ports.items():
            argv += ["--port", f"{name}={port}"]
        log = (self.home / "up.log").open("wb")
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def wait(self, timeout: float = 180) -> None:
        """Until every service is ready (the run file is written); over TLS, a
        customer's certificate is then issued."""
        deadline = time.monotonic() + timeout
        while not (self.home / "run.json").exists():
            if self.proc is not None and self.proc.poll() is not None:
                raise SystemExit(f"accord up exited: {(self.home / 'up.log').read_text()[-800:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"accord up did not start within {timeout:g}s")
            time.sleep(0.2)
        if self.tls:
            CertStore(self.home / "certs").issue(CLIENT)

    def stop(self) -> None:
        """Stop ``accord up`` (and so the shop) by its PID."""
        if self.proc is not None:
            stop(self.proc)

    def customers(self, n: int) -> list[dict[str, str]]:
        """``n`` new customers, each as the ``Authorization`` header of its token."""
        out = []
        with httpx.Client(verify=self.verify("identity"), timeout=30) as http:
            for _ in range(n):
                account = {"email": f"b-{secrets.token_hex(6)}@bench.shop", "password": "pw 123456"}
                key = {"idempotency-key": secrets.token_hex(8)}
                http.post(self.url("identity") + "/v1/customers", json=account, headers=key)
                r = http.post(self.url("identity") + "/v1/login", json=account)
                r.raise_for_status()
                out.append({"authorization": f"Bearer {r.json()['access_token']}"})
        return out


def order_body(n: int) -> dict[str, Any]:
    """The ``n``-th order: one of two SKUs, paid by a test card."""
    return {"items": [{"sku": SKUS[n % 2], "quantity": 1}], "card_token": "tok_visa_4242"}


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank; 0 when empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def closed_loop(
    base: str,
    customers: list[dict[str, str]],
    seconds: float,
    workers: int,
    *,
    verify: ssl.SSLContext | bool = True,
) -> dict[str, float]:
    """``workers`` customers placing orders at ``base`` back to back for ``seconds``,
    on one keep-alive client: req/s, p50 and p99 in ms, and errors (5xx or no answer)."""
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + seconds

    async def worker(w: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        n = w
        while time.monotonic() < end:
            headers = {**customers[n % len(customers)], "idempotency-key": secrets.token_hex(8)}
            t0 = time.perf_counter()
            try:
                r = await http.post(base + "/v1/orders", json=order_body(n), headers=headers)
                errors += r.status_code >= 500
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)
            n += workers

    async with httpx.AsyncClient(timeout=30, verify=verify) as http:
        await asyncio.gather(*(worker(w, http) for w in range(workers)))
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "errors": errors,
    }
