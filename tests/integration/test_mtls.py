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
from collections.abc import Callable, Iterator
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
    # Log lines reach the file in batches (every 50 ms): wait for the start line.
    lines = _wait_for_line(served, lambda line: "Uvicorn running on" in str(line["event"]))
    started = [line for line in lines if "Uvicorn running on" in str(line["event"])]
    assert "https://" in str(started[0]["event"])


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
#: Refused by the identity check when the handshake completes, which logs this reason;
#: OpenSSL refuses the other cases inside the handshake, silently.
REASONS = {
    "no_uri_san": "certificate has no URI subject alternative name",
    "many_uri_sans": "certificate has 2 URI names, not one",
    "foreign_trust_domain": f"is not in trust domain {TD!r}",
    "ca_certificate": "a CA certificate may not be used as a leaf",
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_forged_client_certificate_is_refused_before_any_handler(
    served: Served, tmp_path: Path, case: str
) -> None:
    cert, key = FORGED[case](served.store.load_ca(), datetime.now(UTC))
    crt, pem = write_pair(tmp_path, "forged", cert, key)
    ctx = ssl.create_default_context(cafile=str(served.store.ca_cert_path))
    ctx.check_hostname = False
    ctx.load_cert_chain(str(crt), str(pem))
    forged, after = {"x-correlation-id": f"forged-{case}"}, {"x-correlation-id": f"after-{case}"}
    with httpx.Client(verify=ctx) as http, pytest.raises(httpx.HTTPError) as refused:
        http.post(served.url + "/v1/nap", json={"seconds": 0}, headers=forged, timeout=5)
    # The server closes the connection without a word: no alert, no HTTP answer.
    assert "without sending a response" in str(refused.value), repr(refused.value)
    # A request after it, from a good caller: once its line is written, any line the forged
    # one caused is too (one process, one ordered log, flushed in the background).
    with httpx.Client(verify=client_context(served.tls(), "sleeper")) as http:
        answer = http.post(served.url + "/v1/nap", json={"seconds": 0}, headers=after, timeout=10)
        assert answer.status_code == 200
    lines = _wait_for_line(served, lambda line: line.get("correlation_id") == f"after-{case}")
    ran = [line for line in lines if line.get("correlation_id") == f"forged-{case}"]
    assert ran == [], "a handler ran"
    logged = [
        str(line["event"]) for line in lines if f"tls peer refused ({case})" in str(line["event"])
    ]
    if case in REASONS:
        assert len(logged) == 1 and REASONS[case] in logged[0], logged
    else:
        assert logged == []


def _wait_for_line(
    served: Served, found: Callable[[dict[str, object]], bool], timeout: float = 30.0
) -> list[dict[str, object]]:
    """The log's lines once one satisfies ``found`` (a bound against a hang, not a speed)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = served.lines()
        if any(found(line) for line in lines):
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(f"no such log line in {timeout} s: {lines[-3:]}")
        time.sleep(0.02)


def test_rotation_while_requests_flow_drops_nothing(served: Served) -> None:
    """Fresh connections and kept-alive ones, both rotated under them, zero failures."""
    before = _served_serial(served)
    result = asyncio.run(_load_during_rotation(served))
    print(f"rotation under load: {result['ok']} requests, {len(result['failures'])} failed")
    assert result["failures"] == [], result["failures"][:5]
    # The server checks its files every CHECK_INTERVAL: the last rotation shows within one.
    latest = served.store.load_leaf("sleeper").cert.serial_number
    deadline = time.monotonic() + 30
    while (after := _served_serial(served)) != latest and time.monotonic() < deadline:
        time.sleep(0.05)
    assert after != before
    assert after == latest
    assert result["long_nap"] == 200, "a request in flight across the rotations must finish"


async def _load_during_rotation(served: Served) -> dict[str, object]:
    failures: list[str] = []
    ok = 0
    stop = asyncio.Event()
    progressed = asyncio.Event()

    async def worker(transport: MutualTLSTransport) -> None:
        nonlocal ok
        async with httpx.AsyncClient(transport=transport, timeout=10) as http:
            while not stop.is_set():
                try:
                    r = await http.post(served.url + "/v1/nap", json={"seconds": 0.0})
                    if r.status_code == 200:
                        ok += 1
                        progressed.set()
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

    async def served_more(count: int) -> None:
        """Wait until ``count`` more requests succeed (a bound against a hang, not a speed)."""
        target = ok + count
        async with asyncio.timeout(60):
            while ok < target:
                progressed.clear()
                await progressed.wait()

    await served_more(20)
    for name in ("sleeper", "caller", "sleeper", "caller", "sleeper"):
        await asyncio.to_thread(_rotate, served.store.directory, name)
        await served_more(20)  # requests flow after every rotation, on old and new certificates
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
