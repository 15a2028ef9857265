"""The verifier refuses every token RFC 8725 says to refuse, each with a short reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.security import (
    Claims,
    InvalidToken,
    KeySet,
    VerificationKey,
    Verifier,
    public_jwk,
)

NOW = 1_800_000_000.0
ISSUER = "https://identity.test"
AUDIENCE = "shop"

ED_KEY = ed25519.Ed25519PrivateKey.generate()
EC_KEY = ec.generate_private_key(ec.SECP256R1())
JWKS = {"keys": [public_jwk("ed-1", ED_KEY.public_key()), public_jwk("ec-1", EC_KEY.public_key())]}


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "customer-7",
        "scope": "orders:place orders:read",
        "customer_id": "c-7",
        "client_id": "web",
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 900,
        "jti": "t-1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any] | None = None, **headers: Any) -> str:
    header = {"kid": "ed-1", "typ": "at+jwt"} | headers
    return jwt.encode(payload or claims(), ED_KEY, algorithm="EdDSA", headers=header)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    h = b64(json.dumps(header).encode())
    p = b64(json.dumps(payload).encode())
    return f"{h}.{p}.{b64(signature)}"


def verifier(keys: KeySet | None = None, **kwargs: Any) -> Verifier:
    kwargs.setdefault("algorithms", ("EdDSA", "ES256"))
    return Verifier(
        keys or KeySet.static(JWKS), issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW, **kwargs
    )


async def refused(token: str, v: Verifier | None = None) -> str:
    with pytest.raises(InvalidToken) as caught:
        await (v or verifier()).verify(token)
    return caught.value.reason


@pytest.mark.anyio
async def test_a_good_token_gives_its_claims() -> None:
    got = await verifier().verify(sign())
    assert got == Claims(
        subject="customer-7",
        scopes=frozenset({"orders:place", "orders:read"}),
        issuer=ISSUER,
        audience=("shop",),
        expires_at=int(NOW) + 900,
        token_id="t-1",
        customer_id="c-7",
        client_id="web",
        issued_at=int(NOW),
        raw=claims(),
    )
    assert got.allows(["orders:read"]) and not got.allows(["orders:admin"])


@pytest.mark.anyio
async def test_es256_tokens_verify_with_a_p256_key() -> None:
    token = jwt.encode(
        claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1", "typ": "at+jwt"}
    )
    assert (await verifier().verify(token)).subject == "customer-7"


@pytest.mark.anyio
async def test_alg_none_is_refused() -> None:
    token = forge({"alg": "none", "typ": "at+jwt", "kid": "ed-1"}, claims())
    assert await refused(token) == "algorithm not allowed"
    assert await refused(token.rstrip(".") + ".") == "algorithm not allowed"


@pytest.mark.anyio
async def test_hs256_signed_with_the_public_key_is_refused() -> None:
    """The classic confusion: the public key's bytes used as an HMAC secret."""
    for secret in (
        ED_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        ED_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        json.dumps(JWKS["keys"][0]).encode(),
    ):
        header = {"alg": "HS256", "typ": "at+jwt", "kid": "ed-1"}
        h, p = b64(json.dumps(header).encode()), b64(json.dumps(claims()).encode())
        mac = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
        assert await refused(f"{h}.{p}.{b64(mac)}") == "algorithm not allowed"


def test_a_verifier_cannot_be_told_to_allow_none_or_hmac() -> None:
    for algorithms in (("none",), ("HS256",), ("EdDSA", "RS256"), ()):
        with pytest.raises(ValueError, match="algorithms"):
            verifier(algorithms=algorithms)


@pytest.mark.anyio
async def test_an_allowed_alg_that_does_not_match_the_key_type_is_refused() -> None:
    token = jwt.encode(
        claims(), EC_KEY, algorithm="ES256", headers={"kid": "ed-1", "typ": "at+jwt"}
    )
    assert await refused(token) == "algorithm does not match key"
    only_ed = verifier(algorithms=("EdDSA",))
    es = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1", "typ": "at+jwt"})
    assert await refused(es, only_ed) == "algorithm not allowed"


@pytest.mark.anyio
async def test_wrong_audience_and_issuer_are_refused() -> None:
    assert await refused(sign(claims(aud="billing"))) == "wrong audience"
    assert await refused(sign(claims(aud=["billing", "ops"]))) == "wrong audience"
    assert await refused(sign(claims(aud=None))) == "wrong audience"
    assert await refused(sign(claims(iss="https://evil.test"))) == "wrong issuer"
    assert await refused(sign(claims(iss=None))) == "wrong issuer"
    ok = await verifier().verify(sign(claims(aud=["billing", "shop"])))
    assert ok.audience == ("billing", "shop")


@pytest.mark.anyio
async def test_wrong_or_missing_typ_is_refused() -> None:
    assert await refused(sign(typ="JWT")) == "wrong type"
    h = b64(json.dumps({"alg": "EdDSA", "kid": "ed-1"}).encode())
    p = b64(json.dumps(claims()).encode())
    no_typ = f"{h}.{p}.{b64(ED_KEY.sign(f'{h}.{p}'.encode()))}"
    assert await refused(no_typ) == "wrong type"
    assert (await verifier().verify(sign(typ="application/at+JWT"))).subject == "customer-7"


@pytest.mark.anyio
async def test_expiry_and_not_before_have_a_leeway_of_30_seconds() -> None:
    assert await refused(sign(claims(exp=int(NOW) - 31))) == "expired"
    assert (await verifier().verify(sign(claims(exp=int(NOW) - 29)))).subject
    assert await refused(sign(claims(nbf=int(NOW) + 31))) == "not yet valid"
    assert (await verifier().verify(sign(claims(nbf=int(NOW) + 29)))).subject
    assert await refused(sign(claims(exp=None))) == "bad claims"
    assert await refused(sign(claims(exp="soon"))) == "bad claims"
    assert await refused(sign(claims(exp=True))) == "bad claims"


@pytest.mark.anyio
async def test_a_key_reference_in_the_header_is_refused_and_never_fetched() -> None:
    fetched: list[str] = []

    async def fetch() -> bytes:
        fetched.append("jwks")
        return json.dumps(JWKS).encode()

    keys = KeySet(fetch=fetch, clock=lambda: NOW)
    await keys.refresh()
    v = verifier(keys)
    for member, value in (
        ("jku", "https://attacker.test/jwks.json"),
        ("x5u", "https://attacker.test/cert.pem"),
        ("jwk", public_jwk("evil", ed25519.Ed25519PrivateKey.generate().public_key())),
        ("x5c", ["MIIB..."]),
    ):
        assert await refused(sign(**{member: value}), v) == "key reference not allowed"
    assert keys.fetches == 1 and fetched == ["jwks"]


@pytest.mark.anyio
async def test_a_tampered_token_is_refused() -> None:
    token = sign()
    h, p, s = token.split(".")
    richer = b64(json.dumps(claims(scope="orders:place orders:admin")).encode())
    assert await refused(f"{h}.{richer}.{s}") == "bad signature"
    flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    assert await refused(f"{h}.{p}.{flipped}") == "bad signature"
    other = jwt.encode(claims(), ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA",
                       headers={"kid": "ed-1", "typ": "at+jwt"})  # fmt: skip
    assert await refused(other) == "bad signature"


@pytest.mark.anyio
async def test_unknown_or_missing_kid_is_refused() -> None:
    assert await refused(sign(kid="nobody")) == "unknown key"
    header = {"alg": "EdDSA", "typ": "at+jwt"}
    assert await refused(forge(header, claims(), b"x" * 64)) == "missing key id"


@pytest.mark.anyio
async def test_crit_and_missing_subject_are_refused() -> None:
    assert await refused(sign(crit=["exp"])) == "critical header not supported"
    assert await refused(sign(claims(sub=None))) == "missing subject"
    assert await refused(sign(claims(sub=""))) == "missing subject"
    assert await refused(sign(claims(scope=["a"]))) == "bad claims"
    assert await refused(sign(claims(customer_id=7))) == "bad claims"


@pytest.mark.anyio
async def test_malformed_shapes_are_refused() -> None:
    token = sign()
    for bad in ("", ".", "..", "a.b", "a.b.c.d", token + ".x", "x" * 9000, "é.é.é", "{}.{}.{}"):
        reason = await refused(bad)
        assert reason in {"malformed", "too long"}


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_random_strings_raise_only_invalid_token(text: str) -> None:
    _only_invalid_token(text)


segment = st.one_of(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=80
    ),
    st.binary(max_size=60).map(b64),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["alg", "typ", "kid", "jku", "crit", "exp", "nbf", "aud", "iss", "sub"]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=10,
    ).map(lambda v: b64(json.dumps(v).encode())),
)


@given(st.lists(segment, min_size=1, max_size=5))
@settings(max_examples=500, deadline=None)
def test_random_segments_raise_only_invalid_token(parts: list[str]) -> None:
    _only_invalid_token(".".join(parts))


@given(
    st.dictionaries(
        st.sampled_from(["alg", "typ", "kid", "crit", "zip", "cty"]),
        st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.just("EdDSA"),
        max_size=4,
    ),
    st.dictionaries(
        st.sampled_from(["iss", "aud", "sub", "exp", "nbf", "iat", "scope", "jti"]),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=8)
        | st.lists(st.text(max_size=4), max_size=2),
        max_size=8,
    ),
)
@settings(max_examples=300, deadline=None)
def test_validly_signed_garbage_raises_only_invalid_token(
    header: dict[str, Any], payload: dict[str, Any]
) -> None:
    """Signed with the real key, so every claim check is reached with hostile values."""
    header = {"alg": "EdDSA", "typ": "at+jwt", "kid": "ed-1"} | header
    h = b64(json.dumps(header).encode())
    p = b64(json.dumps(payload).encode())
    s = b64(ED_KEY.sign(f"{h}.{p}".encode()))
    _only_invalid_token(f"{h}.{p}.{s}")


def _only_invalid_token(token: str) -> None:
    import anyio

    async def check() -> None:
        try:
            await verifier().verify(token)
        except InvalidToken as exc:
            assert exc.reason and len(exc.reason) < 40

    anyio.run(check)


def test_jwks_holds_public_keys_only_and_each_key_one_algorithm() -> None:
    ed = public_jwk("k", ED_KEY.public_key())
    assert ed == {"kty": "OKP", "crv": "Ed25519", "x": ed["x"], "kid": "k", "use": "sig",
                  "alg": "EdDSA"}  # fmt: skip
    assert VerificationKey.from_jwk(ed) is not None
    assert VerificationKey.from_jwk(ed | {"d": "secret"}) is None
    assert VerificationKey.from_jwk(ed | {"alg": "HS256"}) is None
    assert VerificationKey.from_jwk(ed | {"use": "enc"}) is None
    assert VerificationKey.from_jwk({"kty": "oct", "k": "c2VjcmV0", "kid": "h"}) is None
    ec_jwk = public_jwk("e", EC_KEY.public_key())
    key = VerificationKey.from_jwk(ec_jwk)
    assert key is not None and key.algorithm == "ES256"
    assert VerificationKey.from_jwk(ec_jwk | {"y": ec_jwk["x"]}) is None  # off the curve


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_a_token_seen_before_skips_the_signature_but_not_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks: list[str] = []
    real = VerificationKey.verify

    def counting(self: VerificationKey, message: bytes, signature: bytes) -> bool:
        checks.append(self.kid)
        return real(self, message, signature)

    monkeypatch.setattr(VerificationKey, "verify", counting)
    clock = Clock()
    v = Verifier(KeySet.static(JWKS), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    token = sign(claims(exp=int(NOW) + 60))
    first = await v.verify(token)
    assert await v.verify(token) is first and checks == ["ed-1"]
    clock.now += 91  # 60 s of life and 30 s of leeway later
    assert await refused(token, v) == "expired"
    # A tampered copy is a different text: never a cache hit. (The last character carries
    # only two bits of the signature, and an Ed25519 signature's top bits are mostly zero,
    # so the one before it is the one changed.)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert await refused(tampered, v) == "bad signature"
    nocache = Verifier(KeySet.static(JWKS), issuer=ISSUER, audience=AUDIENCE, cache_size=0,
                       clock=lambda: NOW)  # fmt: skip
    await nocache.verify(sign())
    await nocache.verify(sign())
    assert len(checks) == 4


@pytest.mark.anyio
async def test_a_remembered_token_is_refused_once_its_key_leaves_the_set() -> None:
    documents = [JWKS, {"keys": [JWKS["keys"][1]]}]

    async def fetch() -> bytes:
        return json.dumps(documents[0] if keys.fetches <= 1 else documents[1]).encode()

    monotonic = Clock()
    keys = KeySet(fetch=fetch, clock=monotonic, max_age=60)
    v = Verifier(keys, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)
    token = sign()
    await v.verify(token)
    await v.verify(token)
    monotonic.now += 60  # the set is old: the next lookup refreshes it, without ed-1
    assert await refused(token, v) == "unknown key"


@pytest.mark.anyio
async def test_the_cache_is_bounded() -> None:
    v = Verifier(KeySet.static(JWKS), issuer=ISSUER, audience=AUDIENCE, cache_size=2,
                 clock=lambda: NOW)  # fmt: skip
    for n in range(5):
        await v.verify(sign(claims(jti=f"t-{n}")))
    assert len(v._verified) == 2
