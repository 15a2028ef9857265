"""Mutual TLS contexts on real loopback sockets: who is let in, who is refused, reloads.

The server is an asyncio TLS server on a free port answering a minimal HTTP/1.1; it
records every request it reads, so a refusal is proven by an empty record as well as
by the client's error.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from accord.security import CertError, CertificateAuthority, CertStore, create_ca
from accord.security.tls import (
    MutualTLSTransport,
    TLSConfig,
    client_context,
    ensure_certificates,
    server_context,
)
from tests.support.certs import forge, serial_of, write_pair

pytestmark = pytest.mark.anyio

TD = "shop.local"


@pytest.fixture
def store(tmp_path: Path) -> CertStore:
    store = CertStore(tmp_path / "certs")
    store.init(TD)
    for name in ("inventory", "orders", "payments"):
        store.issue(name)
    return store


def config(store: CertStore, name: str, allow: frozenset[str] = frozenset()) -> TLSConfig:
    return TLSConfig(store.directory, name, allow, check_interval=0.0)


@dataclass
class Server:
    url: str
    peers: list[int] = field(default_factory=list)  # serial of the client cert per request


async def _answer(
    server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    ssl_object = writer.get_extra_info("ssl_object")
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            server.peers.append(serial_of(ssl_object.getpeercert(binary_form=True)))
            body = head.split(b" ", 2)[1]
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@asynccontextmanager
async def serving(context: ssl.SSLContext) -> AsyncIterator[Server]:
    box: list[Server] = []
    srv = await asyncio.start_server(
        lambda r, w: _answer(box[0], r, w), "127.0.0.1", 0, ssl=context
    )
    box.append(Server(f"https://127.0.0.1:{srv.sockets[0].getsockname()[1]}"))
    try:
        yield box[0]
    finally:
        srv.close()
        await srv.wait_closed()


def plain_client_context(ca: Path, cert: Path | None, key: Path | None) -> ssl.SSLContext:
    """A client that trusts ``ca``, presents ``cert`` (if any) and checks no server id."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.check_hostname = False
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


async def test_a_service_calls_another_and_each_sees_the_other(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), "inventory")
        async with httpx.AsyncClient(transport=transport) as http:
            for _ in range(3):
                r = await http.get(server.url + "/hello")
                assert r.status_code == 200 and r.text == "/hello"
            stream = r.extensions["network_stream"]
            served = serial_of(stream.get_extra_info("ssl_object").getpeercert(binary_form=True))
    orders = store.load_leaf("orders").cert.serial_number
    assert server.peers == [orders] * 3
    assert served == store.load_leaf("inventory").cert.serial_number


async def test_a_client_refuses_a_server_that_is_another_service(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), "payments")
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ConnectError, match="unexpected_id"):
                await http.get(server.url + "/secret")
    assert server.peers == [], "the request must not reach the server"


async def test_a_client_accepts_a_full_spiffe_id_as_the_peer(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), f"spiffe://{TD}/inventory")
        async with httpx.AsyncClient(transport=transport) as http:
            assert (await http.get(server.url + "/x")).status_code == 200


async def test_the_one_shot_client_context_checks_the_peer(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        async with httpx.AsyncClient(
            verify=client_context(config(store, "orders"), "inventory")
        ) as h:
            assert (await h.get(server.url + "/x")).status_code == 200
        async with httpx.AsyncClient(verify=client_context(config(store, "orders"), "orders")) as h:
            with pytest.raises(httpx.ConnectError):
                await h.get(server.url + "/x")


async def test_plain_http_gets_no_answer(store: CertStore) -> None:
    async with (
        serving(server_context(config(store, "inventory"))) as server,
        httpx.AsyncClient() as http,
    ):
        with pytest.raises(httpx.HTTPError):
            await http.get(server.url.replace("https://", "http://") + "/x")
    assert server.peers == []


async def test_a_client_without_a_certificate_is_refused(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        ctx = plain_client_context(store.ca_cert_path, None, None)
        async with httpx.AsyncClient(verify=ctx) as http:
            with pytest.raises(httpx.HTTPError):
                await http.get(server.url + "/x")
    assert server.peers == []


def _bad(ca: CertificateAuthority, case: str) -> tuple[x509.Certificate, object]:
    now = datetime.now(UTC)
    me = f"spiffe://{TD}/intruder"
    if case == "no_uri_san":
        return forge(ca, [])
    if case == "many_uri_sans":
        return forge(ca, [me, f"spiffe://{TD}/orders"])
    if case == "foreign_trust_domain":
        return forge(ca, ["spiffe://evil.example/orders"])
    if case == "bad_spiffe_id":
        return forge(ca, ["https://shop.local/orders"])
    if case == "ca_certificate":
        return forge(ca, [me], is_ca=True)
    if case == "expired":
        return forge(ca, [me], start=now - timedelta(days=2), end=now - timedelta(minutes=1))
    if case == "not_yet_valid":
        return forge(ca, [me], start=now + timedelta(hours=1), end=now + timedelta(days=1))
    if case == "other_ca":
        return forge(create_ca(TD), [f"spiffe://{TD}/orders"])
    raise AssertionError(case)


# Refused by the identity check (logged with its reason) or by OpenSSL's chain check.
IDENTITY = [
    "no_uri_san",
    "many_uri_sans",
    "foreign_trust_domain",
    "bad_spiffe_id",
    "ca_certificate",
]
CHAIN = ["expired", "not_yet_valid", "other_ca"]


@pytest.mark.parametrize("case", IDENTITY + CHAIN)
async def test_a_bad_client_certificate_is_refused(
    store: CertStore, tmp_path: Path, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = _bad(store.load_ca(), case)
    crt, pem = write_pair(tmp_path / "bad", "intruder", cert, key)  # type: ignore[arg-type]
    async with serving(server_context(config(store, "inventory"))) as server:
        ctx = plain_client_context(store.ca_cert_path, crt, pem)
        async with httpx.AsyncClient(verify=ctx) as http:
            with (
                caplog.at_level(logging.WARNING, "accord.security.tls"),
                pytest.raises(httpx.HTTPError),
            ):
                await http.get(server.url + "/x")
    assert server.peers == []
    if case in IDENTITY:
        assert f"tls peer refused ({case})" in caplog.text


async def test_a_server_presenting_a_bad_certificate_is_refused(
    store: CertStore, tmp_path: Path
) -> None:
    """The client side runs the same identity check: a CA certificate posing as inventory."""
    cert, key = forge(store.load_ca(), [f"spiffe://{TD}/inventory"], is_ca=True)
    bad = tmp_path / "bad"
    write_pair(bad, "inventory", cert, key)
    (bad / "ca.crt").write_bytes(store.ca_cert_path.read_bytes())
    async with serving(server_context(TLSConfig(bad, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), "inventory")
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ConnectError, match="ca_certificate"):
                await http.get(server.url + "/x")
    assert server.peers == []


async def test_an_allow_list_admits_only_the_services_it_names(
    store: CertStore, caplog: pytest.LogCaptureFixture
) -> None:
    allow = frozenset({"orders", f"spiffe://{TD}/inventory"})
    async with serving(server_context(config(store, "payments", allow=allow))) as server:
        for caller, admitted in (("orders", True), ("inventory", True), ("payments", False)):
            transport = MutualTLSTransport(config(store, caller), "payments")
            async with httpx.AsyncClient(transport=transport) as http:
                if admitted:
                    assert (await http.get(server.url + "/x")).status_code == 200
                else:
                    with pytest.raises(httpx.HTTPError):
                        await http.get(server.url + "/x")
    assert len(server.peers) == 2
    assert "tls peer refused (not_allowed)" in caplog.text


async def test_a_rotated_server_certificate_is_served_to_new_connections(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        first = MutualTLSTransport(config(store, "orders"), "inventory")
        async with httpx.AsyncClient(transport=first) as kept:
            before = await kept.get(server.url + "/a")
            old = _served(before)
            store.rotate("inventory")
            # The open connection keeps working on the certificate it was made with.
            again = await kept.get(server.url + "/b")
            assert again.status_code == 200 and _served(again) == old
            async with httpx.AsyncClient(
                verify=client_context(config(store, "orders"), "inventory")
            ) as fresh:
                new = _served(await fresh.get(server.url + "/c"))
    assert old != new == store.load_leaf("inventory").cert.serial_number


async def test_a_half_landed_rotation_keeps_the_previous_pair(
    store: CertStore, tmp_path: Path
) -> None:
    """Key renamed, certificate not yet: the server keeps serving the old pair."""
    async with serving(server_context(config(store, "inventory"))) as server:
        old = store.load_leaf("inventory").cert.serial_number
        spare = CertStore(tmp_path / "spare")
        spare.init(TD)
        spare.issue("inventory")
        store.key_path("inventory").write_bytes(spare.key_path("inventory").read_bytes())
        transport = MutualTLSTransport(config(store, "orders"), "inventory")
        async with httpx.AsyncClient(transport=transport) as http:
            assert _served(await http.get(server.url + "/x")) == old
        store.rotate("inventory")
        async with httpx.AsyncClient(
            verify=client_context(config(store, "orders"), "inventory")
        ) as http:
            assert _served(await http.get(server.url + "/y")) != old


async def test_a_client_presents_its_rotated_certificate_on_new_connections(
    store: CertStore,
) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), "inventory")
        async with httpx.AsyncClient(transport=transport) as http:
            await http.get(server.url + "/a")
            old_pool = transport._pool
            store.rotate("orders")
            await http.get(server.url + "/b")
            assert transport._pool is not old_pool and old_pool.closed
    first, second = server.peers
    assert first != second == store.load_leaf("orders").cert.serial_number


async def test_an_old_pool_closes_when_its_last_response_is_read(store: CertStore) -> None:
    async with serving(server_context(config(store, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), "inventory")
        async with httpx.AsyncClient(transport=transport) as http:
            old_pool = transport._pool
            async with http.stream("GET", server.url + "/slow") as streaming:
                store.rotate("orders")
                assert (await http.get(server.url + "/b")).status_code == 200
                assert not old_pool.closed, "a response still reads from the old pool"
                assert await streaming.aread() == b"/slow"
            assert old_pool.closed


def test_missing_files_fail_at_start_with_a_certificate_error(store: CertStore) -> None:
    with pytest.raises(CertError, match="nobody"):
        server_context(config(store, "nobody"))
    with pytest.raises(CertError):
        MutualTLSTransport(TLSConfig(store.directory / "nowhere", "orders"), "inventory")


def test_config_from_the_environment(tmp_path: Path) -> None:
    assert TLSConfig.from_env({}) is None
    assert TLSConfig.from_env({"ACCORD_TLS_DIR": " "}) is None
    cfg = TLSConfig.from_env(
        {
            "ACCORD_TLS_DIR": str(tmp_path),
            "ACCORD_SERVICE": "orders",
            "ACCORD_TLS_ALLOW": "inventory, spiffe://shop.local/x,,",
        }
    )
    assert cfg == TLSConfig(tmp_path, "orders", frozenset({"inventory", "spiffe://shop.local/x"}))
    named = TLSConfig.from_env({"ACCORD_TLS_DIR": str(tmp_path)}, name="payments")
    assert named is not None and named.name == "payments"
    with pytest.raises(CertError, match="ACCORD_SERVICE"):
        TLSConfig.from_env({"ACCORD_TLS_DIR": str(tmp_path)})


def test_ensure_certificates_creates_what_is_missing_and_keeps_what_is_good(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "certs"
    assert ensure_certificates(folder, ["orders", "inventory"], trust_domain=TD) == [
        "orders",
        "inventory",
    ]
    store = CertStore(folder)
    kept = store.load_leaf("orders").cert.serial_number
    assert ensure_certificates(folder, ["orders", "inventory"], trust_domain=TD) == []
    assert store.load_leaf("orders").cert.serial_number == kept
    # Expiring within a day, expired, or from another CA: issued again.
    soon = datetime.now(UTC) + timedelta(days=29, hours=1)
    assert ensure_certificates(folder, ["orders"], trust_domain=TD, now=soon) == ["orders"]
    later = datetime.now(UTC) + timedelta(days=400)
    assert ensure_certificates(folder, ["orders"], trust_domain=TD, now=later) == ["orders"]
    other = CertStore(tmp_path / "other")
    other.init(TD)
    other.issue("inventory")
    for suffix in (".crt", ".key"):
        (folder / f"inventory{suffix}").write_bytes(
            (other.directory / f"inventory{suffix}").read_bytes()
        )
    assert ensure_certificates(folder, ["inventory"], trust_domain=TD) == ["inventory"]


def _served(response: httpx.Response) -> int:
    ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
    return serial_of(ssl_object.getpeercert(binary_form=True))


async def test_a_transport_serves_again_after_a_client_closed_it(store: CertStore) -> None:
    """Key-set and token fetchers open and close a client per call on one transport."""
    async with serving(server_context(config(store, "inventory"))) as server:
        transport = MutualTLSTransport(config(store, "orders"), "inventory")
        for path in ("/one", "/two"):
            async with httpx.AsyncClient(transport=transport) as http:
                assert (await http.get(server.url + path)).text == path
    assert len(server.peers) == 2


async def test_a_replaced_ca_is_trusted_from_the_next_handshake_on(
    store: CertStore, tmp_path: Path
) -> None:
    old_client = tmp_path / "old"
    old_client.mkdir()
    for name in ("ca.crt", "orders.crt", "orders.key"):
        (old_client / name).write_bytes((store.directory / name).read_bytes())
    async with serving(server_context(config(store, "inventory"))) as server:
        async with httpx.AsyncClient(
            verify=client_context(TLSConfig(old_client, "orders"), "inventory")
        ) as http:
            assert (await http.get(server.url + "/before")).status_code == 200
        store.init(TD, force=True)
        store.issue("inventory")
        store.issue("orders")
        async with httpx.AsyncClient(
            verify=client_context(config(store, "orders"), "inventory")
        ) as http:
            assert (await http.get(server.url + "/new-ca")).status_code == 200
        # A client still presenting a certificate of the old CA is refused.
        async with httpx.AsyncClient(
            verify=plain_client_context(
                store.ca_cert_path, old_client / "orders.crt", old_client / "orders.key"
            )
        ) as http:
            with pytest.raises(httpx.HTTPError):
                await http.get(server.url + "/old-cert")
    assert len(server.peers) == 2
