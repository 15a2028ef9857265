"""accord's Ed25519 JWS signer gives PyJWT's tokens byte for byte, which its own
verifier accepts, and a service signing with it does not load PyJWT."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.security.jws import sign_eddsa
from tests.support.processes import ROOT, run_python

KEY = ed25519.Ed25519PrivateKey.generate()


@pytest.mark.parametrize(
    ("claims", "headers"),
    [
        ({"iss": "identity", "sub": "u1", "exp": 1_900_000_000, "scope": "a b"}, {"kid": "k1"}),
        ({"iss": "orders", "aud": ["x", "y"], "cnf": {"x5t#S256": "abc"}, "n": 1.5},
         {"kid": "k2", "typ": "at+jwt"}),
        ({"iss": "c", "exp": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), "name": "Zoë ✓"},
         {"typ": "client-authentication+jwt", "kid": "é"}),
        ({"sub": "no issuer"}, {"typ": None}),
    ],
)  # fmt: skip
def test_tokens_are_pyjwts_byte_for_byte(claims: dict[str, Any], headers: dict[str, Any]) -> None:
    ours = sign_eddsa(claims, KEY, headers)
    assert ours == jwt.encode(dict(claims), KEY, algorithm="EdDSA", headers=headers)
    decoded = jwt.decode(ours, KEY.public_key(), algorithms=["EdDSA"], options={
        "verify_aud": False, "verify_exp": False, "verify_iss": False})  # fmt: skip
    assert decoded["iss" if "iss" in claims else "sub"] == claims.get("iss", claims.get("sub"))


def test_a_non_string_issuer_is_refused_as_pyjwt_refuses_it() -> None:
    with pytest.raises(TypeError):
        sign_eddsa({"iss": 1}, KEY, {})


def test_signing_keys_and_assertions_load_no_pyjwt(tmp_path: Any) -> None:
    probe = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from accord.security.keys import KeyRing, SigningKey\n"
        "from accord.security.clientkeys import ClientKeys, sign_assertion\n"
        "now = time.time()\n"
        "keys = (SigningKey.generate('current', now), SigningKey.generate('next', now))\n"
        "token = KeyRing(keys, token_lifetime=60).sign({'iss': 'identity', 'sub': 'u'})\n"
        f"client = ClientKeys.under(Path({str(tmp_path)!r}))\n"
        "client.ensure(['orders'])\n"
        "assertion = sign_assertion(client.private_key('orders'), 'orders', 'https://id/token')\n"
        "print(token.count('.'), assertion.count('.'), 'jwt' in sys.modules)\n"
    )
    result = run_python(probe, cwd=ROOT)
    assert result.stdout.split() == ["2", "2", "False"], result.stdout + result.stderr
