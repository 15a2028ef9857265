"""Client assertions (RFC 7523): the key files, and every refusal of the verifier."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest

from accord.security.assertions import AssertionVerifier, InvalidAssertion
from accord.security.clientkeys import ASSERTION_JWT_TYPE, ClientKeys, sign_assertion

AUD = "http://idp.test/v1/token"
NOW = 1_800_000_000.0


def clock() -> float:
    return NOW


@pytest.fixture
def keys(tmp_path: Path) -> ClientKeys:
    keys = ClientKeys(tmp_path / "client-keys")
    assert keys.ensure(["orders", "other"]) == ["orders", "other"]
    return keys


def test_key_pairs_are_made_once_private_halves_private(keys: ClientKeys) -> None:
    kid = keys.private_key("orders").kid
    assert keys.ensure(["orders", "other"]) == []
    assert keys.private_key("orders").kid == kid
    assert stat.S_IMODE(keys.key_path("orders").stat().st_mode) == 0o600
    (jwk,) = keys.public_jwks(["orders"])["keys"]
    assert jwk["kid"] == kid and jwk["alg"] == "EdDSA" and "d" not in jwk
    assert keys.public_jwks(["nobody"]) == {"keys": []}


async def verify(keys: ClientKeys, assertion: str, holders: list[str] | None = None) -> None:
    verifier = AssertionVerifier(audience=AUD, clock=clock)
    jwks = keys.public_jwks(holders or ["orders"])
    await verifier.verify(assertion, client_id="orders", jwks=jwks)


@pytest.mark.anyio
async def test_a_good_assertion_passes_once(keys: ClientKeys) -> None:
    verifier = AssertionVerifier(audience=AUD, clock=clock)
    assertion = sign_assertion(keys.private_key("orders"), "orders", AUD, clock=clock)
    jwks = keys.public_jwks(["orders"])
    await verifier.verify(assertion, client_id="orders", jwks=jwks)
    with pytest.raises(InvalidAssertion, match="replayed"):
        await verifier.verify(assertion, client_id="orders", jwks=jwks)
    later = AssertionVerifier(audience=AUD, clock=lambda: NOW + 3600)
    with pytest.raises(InvalidAssertion, match="expired"):
        await later.verify(assertion, client_id="orders", jwks=jwks)


def _signed(keys: ClientKeys, claims: dict[str, object], typ: str = ASSERTION_JWT_TYPE) -> str:
    key = keys.private_key("orders")
    base = {"iss": "orders", "sub": "orders", "aud": AUD, "exp": NOW + 60, "jti": "j"}
    headers = {"kid": key.kid, "typ": typ}
    merged = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return jwt.encode(merged, key.private_key, algorithm="EdDSA", headers=headers)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("claims", "typ", "reason"),
    [
        ({"aud": "http://elsewhere.test/v1/token"}, ASSERTION_JWT_TYPE, "wrong audience"),
        ({"exp": NOW - 60}, ASSERTION_JWT_TYPE, "expired"),
        ({"exp": NOW + 3600}, ASSERTION_JWT_TYPE, "lifetime too long"),
        ({"iss": "operator"}, ASSERTION_JWT_TYPE, "wrong issuer"),
        ({"sub": "operator"}, ASSERTION_JWT_TYPE, "wrong subject"),
        ({"jti": None}, ASSERTION_JWT_TYPE, "missing jti"),
        ({}, "at+jwt", "wrong type"),  # an access token is never an assertion
    ],
)
async def test_each_rule_refuses(
    keys: ClientKeys, claims: dict[str, object], typ: str, reason: str
) -> None:
    with pytest.raises(InvalidAssertion, match=reason):
        await verify(keys, _signed(keys, claims, typ))


@pytest.mark.anyio
async def test_a_key_that_does_not_speak_for_the_client_is_unknown(keys: ClientKeys) -> None:
    theirs = sign_assertion(keys.private_key("other"), "orders", AUD, clock=clock)
    with pytest.raises(InvalidAssertion, match="unknown key"):
        await verify(keys, theirs)
    await verify(keys, theirs, holders=["orders", "other"])
