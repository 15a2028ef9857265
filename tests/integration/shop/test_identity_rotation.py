"""Key rotation without downtime, against a real identity process over loopback.

The identity service runs as ``python -m accord serve`` with its own ACCORD_HOME; the
rotation is ``accord keys rotate`` in another process; a verifier, as every service
builds it, fetches the JWKS document over HTTP. Then the identity process is stopped and
the verifier keeps verifying from its cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.security import ClientCredentials, InvalidToken, KeySet, Verifier
from accord.security.clientkeys import ClientKeys
from tests.support.processes import ROOT, free_port, running, stop, wait_http

pytestmark = pytest.mark.anyio


class Identity:
    def __init__(self, url: str, home: Path, proc: subprocess.Popen[bytes]) -> None:
        self.url, self.home, self.proc = url, home, proc

    def login(self, email: str) -> str:
        answer = httpx.post(f"{self.url}/v1/login", json={"email": email, "password": "pw-123456"})
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def logged(self, text: str, timeout: float = 5.0) -> bool:
        """Whether the service's log shows ``text`` within ``timeout`` (lines are buffered)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in (self.home / "identity.log").read_text():
                return True
            time.sleep(0.1)
        return False

    def rotate(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.keys("rotate", *extra)

    def keys(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``accord keys <args> --home <home>``, run as its own process."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run(
            [sys.executable, "-m", "accord", "keys", *args, "--home", str(self.home)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def identity(tmp_path: Path) -> Iterator[Identity]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "ACCORD_HOME": str(tmp_path),
        "ACCORD_ISSUER_URL": url,
        "IDENTITY_SCRYPT_LOG_N": "10",
        "IDENTITY_LOGIN_RATE": "10000",  # the load test logs in hundreds of times
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    }
    args = ["accord", "serve", "shop.identity.bootstrap:create_app", "--port", str(port)]
    with running(args, env=env, log=tmp_path / "identity.log") as proc:
        wait_http(f"{url}/readyz", timeout=60)
        service = Identity(url, tmp_path, proc)
        register = httpx.post(
            f"{url}/v1/customers",
            json={"email": "ada@example.com", "password": "pw-123456"},
            headers={"idempotency-key": "register-ada"},
        )
        assert register.status_code == 201, register.text
        yield service


class Clock:
    """A monotonic clock the test moves by hand (the key set's throttle reads it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(identity: Identity, audience: str = "orders", clock: Clock | None = None) -> Verifier:
    keys = KeySet.from_url(f"{identity.url}/.well-known/jwks.json", clock=clock or time.monotonic)
    return Verifier(keys, issuer=identity.url, audience=audience)


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def test_rotation_while_running_refuses_no_token(identity: Identity) -> None:
    clock = Clock()
    check = verifier(identity, clock=clock)
    first = identity.login("ada@example.com")
    await check.verify(first)
    assert check.keys.fetches == 1

    refused = identity.rotate()  # the next key was published less than 15 s ago
    assert refused.returncode == 2 and "wait" in refused.stderr
    assert kid(identity.login("ada@example.com")) == kid(first)

    done = identity.rotate("--min-age", "0")
    assert done.returncode == 0, done.stderr
    second = identity.login("ada@example.com")
    assert kid(second) != kid(first)  # the running service signs with the new key at once
    assert identity.logged(f"signing with key {kid(second)}")
    # Published as `next` before the rotation: the cached document already has it.
    assert (await check.verify(second)).subject == (await check.verify(first)).subject
    assert check.keys.fetches == 1

    # Forcing a second rotation at once is what --min-age guards against: the key now
    # signing was published after this verifier's last fetch, and the throttle lets it
    # fetch again only 10 s after that one.
    assert identity.rotate("--min-age", "0").returncode == 0
    third = identity.login("ada@example.com")
    with pytest.raises(InvalidToken, match="unknown key"):
        await check.verify(third)
    assert check.keys.fetches == 1
    clock.now += 10
    assert (await check.verify(third)).subject
    assert check.keys.fetches == 2
    await check.verify(first)  # retired twice over, and still published


async def test_an_unknown_kid_refreshes_at_most_once_per_10_seconds(identity: Identity) -> None:
    check = verifier(identity)
    await check.verify(identity.login("ada@example.com"))
    forged = jwt.encode(
        {"iss": identity.url, "aud": "orders", "sub": "x", "exp": int(time.time()) + 60},
        ed25519.Ed25519PrivateKey.generate(),  # a key no one published
        algorithm="EdDSA",
        headers={"kid": "nobody-knows", "typ": "at+jwt"},
    )
    for _ in range(20):
        with pytest.raises(InvalidToken, match="unknown key"):
            await check.verify(forged)
    assert check.keys.fetches == 1  # the first fetch was under 10 s ago: none since


async def test_the_cache_keeps_verifying_when_identity_is_down(identity: Identity) -> None:
    check = verifier(identity)
    token = identity.login("ada@example.com")
    await check.verify(token)
    assert stop(identity.proc) == 0
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{identity.url}/readyz")
    for _ in range(5):
        assert (await check.verify(token)).subject
    assert check.keys.fetches == 1 and check.keys.failures == 0


async def test_client_credentials_with_the_clients_own_key(identity: Identity) -> None:
    keys = ClientKeys.under(identity.home)
    keys.ensure(["orders"])  # as accord up --plain does
    creds = ClientCredentials.with_private_key(
        f"{identity.url}/v1/token", "orders", keys.key_path("orders")
    )
    token = await creds.token()
    assert await creds.token() == token and creds.requests == 1
    claims = await verifier(identity, "inventory").verify(token)
    assert claims.client_id == "orders" and "inventory:reserve" in claims.scopes
    with pytest.raises(InvalidToken, match="wrong audience"):
        await verifier(identity, "orders").verify(token)


async def test_a_rotation_under_load_refuses_nothing(identity: Identity) -> None:
    """Four clients log in and have their tokens verified without pause while the key
    is rotated: every login succeeds and every token verifies, with the old key and then
    the new one, and the verifier never needs to fetch the document again."""
    import anyio

    check = verifier(identity)
    await check.verify(identity.login("ada@example.com"))
    kids: set[str] = set()
    failures: list[str] = []
    verified: list[str] = []
    done = anyio.Event()
    body = {"email": "ada@example.com", "password": "pw-123456"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=identity.url, timeout=10) as http:
            while not done.is_set():
                answer = await http.post("/v1/login", json=body)
                if answer.status_code != 200:
                    failures.append(f"login {answer.status_code}")
                    continue
                token = answer.json()["access_token"]
                kids.add(kid(token))
                try:
                    verified.append((await check.verify(token)).subject)
                except InvalidToken as exc:
                    failures.append(exc.reason)

    async def verified_with(key_count: int, at_least: int) -> None:
        """Wait until ``at_least`` more logins verified while ``key_count`` kids were seen."""
        start = len(verified)
        with anyio.fail_after(60):  # a bound against a hang, not a speed requirement
            while len(kids) < key_count or len(verified) - start < at_least:
                assert failures == [], failures
                await anyio.sleep(0.02)

    async with anyio.create_task_group() as tasks:
        for _ in range(4):
            tasks.start_soon(client)
        await verified_with(1, 10)  # logins flowing under the old key
        rotated = await anyio.to_thread.run_sync(lambda: identity.rotate("--min-age", "0"))
        assert rotated.returncode == 0, rotated.stderr
        await verified_with(2, 10)  # and under the new one, with no pause between
        done.set()
    assert failures == []
    assert len(kids) == 2 and check.keys.fetches == 1
    print(f"{len(verified)} logins verified across the rotation")


async def test_a_revoked_key_stops_verifying_when_verifiers_refresh(identity: Identity) -> None:
    clock = Clock()
    check = verifier(identity, clock=clock)
    leaked = identity.login("ada@example.com")
    await check.verify(leaked)
    await check.verify(leaked)  # remembered: no signature check, no fetch
    revoked = identity.keys("revoke", kid(leaked))
    assert revoked.returncode == 0, revoked.stderr
    fresh = identity.login("ada@example.com")
    assert kid(fresh) != kid(leaked)
    assert (await check.verify(fresh)).subject  # the promoted key was published already
    clock.now += 300  # the key set is old now: the next lookup refreshes it
    with pytest.raises(InvalidToken, match="unknown key"):
        await check.verify(leaked)
    assert (await check.verify(fresh)).subject
