"""``accord serve --tls-dir`` in a real process: mutual TLS, refusals, rotation under load.

One server process per test module (a free port, a temporary certificate folder); the
tests call it over real sockets with good and forged certificates, and rotate its
certificate with ``accord certs rotate`` while requests flow.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from accord.security import CertStore, create_ca
from accord.security.tls import MutualTLSTransport, TLSConfig, client_context
from tests.support.certs import forge, serial_of, write_pair
from tests.support.processes import free_port, running

TD = "shop.local"


@dataclass
class Served:
    url: str
    store: CertStore
    log: Path

    def tls(self, name: str = "caller") -> TLSConfig:
        return TLSConfig(self.store.directory, name)

    def lines(self) -> list[dict[str, object]]:
        out = []
        for raw in self.log.read_text().splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out


def _wait_https(url: str, tls: TLSConfig, peer: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with httpx.Client(verify=client_context(tls, peer), timeout=1.0) as http:
                if http.get(url).status_code == 200:
                    return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise TimeoutError(f"{url} not ready: {last!r}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("mtls")
    store = CertStore(home / "certs")
    store.init(TD)
    for name in ("sleeper", "caller", "other"):
        store.issue(name)
    port = free_port()
    log = home / "serve.log"
    args = [
        "accord", "serve", "tests.integration.runtime.service:factory",
        "--port", str(port), "--tls-dir", str(store.directory), "--tls-name", "sleeper",
    ]  # fmt: skip
    env = {"OTEL_TRACES_EXPORTER": "none", "ACCORD_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    with running(args, env=env, log=log):
        url = f"https://127.0.0.1:{port}"
        _wait_https(url + "/readyz", TLSConfig(store.directory, "caller"), "sleeper")
        yield Served(url, store, log)


def _nap(http: httpx.Client, url: str, seconds: float = 0.0) -> httpx.Response:
    return http.post(url + "/v1/nap", json={"seconds": seconds}, timeout=10)


def test_a_caller_with_a_certificate_of_the_project_is_served(served: Served) -> None:
    with httpx.Client(verify=client_context(served.tls(), "sleeper")) as http:
        r = _nap(http, served.url)
        assert r.status_code == 200 and r.json() == {"slept": 0.0}
    started = [line for line in served.lines() if "Uvicorn running on" in str(line["event"])]
    assert started and "https://" in str(started[0]["event"])


def test_the_caller_refuses_a_server_that_is_not_the_one_it_meant(served: Served) -> None:
    with (
        httpx.Client(verify=client_context(served.tls(), "payments")) as http,
        pytest.raises(httpx.ConnectError, match="unexpected_id"),
    ):
        _nap(http, served.url)


def test_plain_http_to_the_https_port_gets_no_answer(served: Served) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(served.url.replace("https://", "http://") + "/livez", timeout=5)


def test_a_client_without_a_certificate_is_refused(served: Served) -> None:
    ctx = ssl.create_default_context(cafile=str(served.store.ca_cert_path))
    ctx.check_hostname = False
    with httpx.Client(verify=ctx) as http, pytest.raises(httpx.HTTPError):
        http.get(served.url + "/livez", timeout=5)


FORGED = {
    "no_uri_san": lambda ca, now: forge(ca, []),
    "many_uri_sans": lambda ca, now: forge(ca, [f"spiffe://{TD}/a", f"spiffe://{TD}/b"]),
    "foreign_trust_domain": lambda ca, now: forge(ca, ["spiffe://evil.example/caller"]),
    "ca_certificate": lambda ca, now: forge(ca, [f"spiffe://{TD}/caller"], is_ca=True),
    "expired": lambda ca, now: forge(
        ca, [f"spiffe://{TD}/caller"], start=now - timedelta(days=3), end=now - timedelta(days=1)
    ),
    "other_ca": lambda ca, now: forge(create_ca(TD), [f"spiffe://{TD}/caller"]),
}
#: Refused by the identity check after the handshake, which logs the reason.
LOGGED = {"no_uri_san", "many_uri_sans", "foreign_trust_domain", "ca_certificate"}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_forged_client_certificate_is_refused_before_any_handler(
    served: Served, tmp_path: Path, case: str
) -> None:
    cert, key = FORGED[case](served.store.load_ca(), datetime.now(UTC))
    crt, pem = write_pair(tmp_path, "forged", cert, key)
    ctx = ssl.create_default_context(cafile=str(served.store.ca_cert_path))
    ctx.check_hostname = False
    ctx.load_cert_chain(str(crt), str(pem))
    marker = f"/v1/nap?forged={case}"
    with httpx.Client(verify=ctx) as http, pytest.raises(httpx.HTTPError):
        http.post(served.url + marker, json={"seconds": 0}, timeout=5)
    refused = f"tls peer refused ({case})"
    deadline = time.monotonic() + (10.0 if case in LOGGED else 0.5)
    while True:  # log lines are written by a background flusher
        lines = served.lines()
        if any(refused in str(line["event"]) for line in lines) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not [line for line in lines if case in str(line.get("path", ""))], "a handler ran"
    if case in LOGGED:
        assert any(refused in str(line["event"]) for line in lines)


def test_rotation_while_requests_flow_drops_nothing(served: Served) -> None:
    """Fresh connections and kept-alive ones, both rotated under them, zero failures."""
    before = _served_serial(served)
    result = asyncio.run(_load_during_rotation(served))
    print(f"rotation under load: {result['ok']} requests, {len(result['failures'])} failed")
    assert result["failures"] == [], result["failures"][:5]
    assert result["ok"] > 50, result
    after = _served_serial(served)
    assert after != before
    assert after == served.store.load_leaf("sleeper").cert.serial_number
    assert result["long_nap"] == 200, "a request in flight across the rotations must finish"


async def _load_during_rotation(served: Served) -> dict[str, object]:
    failures: list[str] = []
    ok = 0
    stop = asyncio.Event()

    async def worker(transport: MutualTLSTransport) -> None:
        nonlocal ok
        async with httpx.AsyncClient(transport=transport, timeout=10) as http:
            while not stop.is_set():
                try:
                    r = await http.post(served.url + "/v1/nap", json={"seconds": 0.0})
                    if r.status_code == 200:
                        ok += 1
                    else:
                        failures.append(f"{r.status_code} {r.text[:80]}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    async def long_nap() -> int:
        transport = MutualTLSTransport(served.tls(), "sleeper")
        async with httpx.AsyncClient(transport=transport, timeout=20) as http:
            r = await http.post(served.url + "/v1/nap", json={"seconds": 2.5})
            return r.status_code

    fresh = httpx.Limits(max_keepalive_connections=0)  # a new handshake every request
    transports = [
        MutualTLSTransport(served.tls(), "sleeper"),
        MutualTLSTransport(served.tls(), "sleeper"),
        MutualTLSTransport(served.tls(), "sleeper", limits=fresh),
        MutualTLSTransport(served.tls(), "sleeper", limits=fresh),
    ]
    workers = [asyncio.create_task(worker(t)) for t in transports]
    napping = asyncio.create_task(long_nap())
    await asyncio.sleep(0.5)
    for name in ("sleeper", "caller", "sleeper", "caller", "sleeper"):
        await asyncio.to_thread(_rotate, served.store.directory, name)
        await asyncio.sleep(0.3)
    await asyncio.sleep(0.8)
    stop.set()
    await asyncio.gather(*workers)
    return {"ok": ok, "failures": failures, "long_nap": await napping}


def _rotate(directory: Path, name: str) -> None:
    # Outside the project folder, so any name is accepted; the CLI as an operator runs it.
    subprocess.run(
        [sys.executable, "-m", "accord", "certs", "rotate", name, "--dir", str(directory)],
        check=True,
        cwd=directory,
        capture_output=True,
        timeout=60,
    )


def _served_serial(served: Served) -> int:
    with httpx.Client(verify=client_context(served.tls(), "sleeper")) as http:
        r = http.get(served.url + "/livez")
        ssl_object = r.extensions["network_stream"].get_extra_info("ssl_object")
        return serial_of(ssl_object.getpeercert(True))


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        (["--tls-dir", "/nonexistent", "--tls-name", "x"], {}, "cannot read the CA certificate"),
        ([], {"ACCORD_TLS_DIR": "/tmp", "ACCORD_SERVICE": ""}, "no service name"),
    ],
)
def test_serve_without_usable_certificates_stops_with_one_line(
    extra: list[str], env: dict[str, str], message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "accord", "serve", "tests.integration.runtime.service:factory",
         "--port", str(free_port()), *extra],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("accord: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
