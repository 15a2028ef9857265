"""``accord up`` is mutual TLS unless told ``--plain``, and ``--plain`` says so.

A project of two tiny services (tests/support/tinyshop.py), real ``accord up`` processes
with Envoy in front; certificates are made in the project's state folder on first run.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from accord.security import CertStore
from accord.security.tls import TLSConfig, client_context
from tests.support.processes import stop
from tests.support.tinyshop import SERVICES, TinyShop

PLAIN_WARNING = "--plain: calls between services are plain HTTP, unencrypted (debugging only)"


def test_up_is_mutual_tls_by_default_and_refuses_plain_http(tmp_path: Path) -> None:
    shop = TinyShop(tmp_path)
    proc = shop.start(plain=False)
    try:
        run = shop.wait_run_file(proc, timeout=90)
        store = CertStore(shop.home / "certs")
        assert store.ca_cert_path.exists() and "issued certificates in" in shop.log()
        for name in SERVICES:
            url = f"https://127.0.0.1:{shop.ports[name]}"
            assert run["services"][name]["url"] == url
            # plain HTTP to the TLS port: no HTTP answer, the connection is closed
            with pytest.raises(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{shop.ports[name]}/v1/ping", timeout=5)
            # the CA alone (no client certificate): refused, these are not public
            anonymous = ssl.create_default_context(cafile=str(store.ca_cert_path))
            with httpx.Client(verify=anonymous) as http, pytest.raises(httpx.HTTPError):
                http.get(url + "/v1/ping", timeout=5)
            store.issue("tester")
            verify = client_context(TLSConfig(store.directory, "tester"), name)
            with httpx.Client(verify=verify) as http:
                assert http.get(url + "/v1/ping").json() == {"ok": True}
                ready = http.get(url + "/readyz").json()
            assert "warnings" not in ready
        assert PLAIN_WARNING not in shop.log()
    finally:
        stop(proc)
    assert "Traceback" not in shop.log()


def test_plain_warns_at_start_and_in_every_readyz(tmp_path: Path) -> None:
    shop = TinyShop(tmp_path)
    proc = shop.start()
    try:
        run = shop.wait_run_file(proc)
        assert f"accord: warning: {PLAIN_WARNING}" in shop.log().splitlines()[0]
        assert not (shop.home / "certs").exists()
        for name in SERVICES:
            assert run["services"][name]["url"].startswith("http://")
            ready = httpx.get(shop.url(name) + "/readyz").json()
            assert ready["status"] == "ready" and ready["warnings"] == [PLAIN_WARNING]
    finally:
        stop(proc)


def test_an_allow_list_with_plain_is_one_line(tmp_path: Path) -> None:
    shop = TinyShop(tmp_path)
    done = shop.run("up", "--plain", "--tls-allow", "beta=alpha")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == ["accord: --tls-allow needs TLS (drop --plain)"]
