"""Ed25519 keys from a JWKS verified with libsodium: the same answers as ``cryptography``'s
keys gave, and a service that only verifies tokens does not load ``cryptography``."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.security.jwks import Ed25519Key, VerificationKey, public_jwk
from accord.security.jws import Ed25519Signer
from tests.support.processes import ROOT, run_python


def _raw(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _pair(key: ed25519.Ed25519PrivateKey) -> tuple[VerificationKey, VerificationKey]:
    """The same public key as ``cryptography``'s object and as it comes from a JWKS."""
    jwk = public_jwk("k1", key.public_key())
    light = VerificationKey.from_jwk(jwk)
    assert light is not None
    return VerificationKey("k1", "EdDSA", key.public_key()), light


def test_a_key_from_a_jwks_is_the_light_one_with_the_same_jwk() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    heavy, light = _pair(key)
    assert type(light.key) is Ed25519Key
    assert light.key.raw == _raw(key)
    assert public_jwk("k1", light.key) == public_jwk("k1", heavy.key)
    assert light.same_as(heavy) and heavy.same_as(light)


@settings(max_examples=60, deadline=None)
@given(message=st.binary(max_size=600), flip=st.integers(min_value=0, max_value=63))
def test_both_keys_give_the_same_answer(message: bytes, flip: int) -> None:
    key, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    heavy, light = _pair(key)
    good = key.sign(message)
    bad = bytearray(good)
    bad[flip] ^= 0x01
    cases = {
        "valid": (message, good, True),
        "bad signature": (message, bytes(bad), False),
        "other message": (message + b"x", good, False),
        "other key's signature": (message, other.sign(message), False),
        "truncated": (message, good[:63], False),
        "too long": (message, good + b"\0", False),
        "empty": (message, b"", False),
    }
    for name, (msg, sig, expected) in cases.items():
        assert heavy.verify(msg, sig) is expected, name
        assert light.verify(msg, sig) is expected, name


def test_a_jwk_with_a_key_of_the_wrong_length_is_no_key() -> None:
    for raw in (b"", b"\1" * 31, b"\1" * 33):
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k"}
        assert VerificationKey.from_jwk(jwk) is None
    with pytest.raises(ValueError):
        Ed25519Key(b"\1" * 31)


def test_a_p256_key_is_still_cryptographys() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    vk = VerificationKey.from_jwk(public_jwk("p", key.public_key()))
    assert vk is not None and vk.algorithm == "ES256"
    assert isinstance(vk.key, ec.EllipticCurvePublicKey)


def test_a_service_that_only_verifies_tokens_does_not_load_cryptography() -> None:
    probe = (
        "import sys, anyio, base64\n"
        "from accord.runtime import auth\n"
        "from accord.security.tokens import KeySet, Verifier, InvalidToken\n"
        "from shop.inventory import bootstrap\n"
        "keys = KeySet.static({'keys': [{'kty': 'OKP', 'crv': 'Ed25519', 'kid': 'k',\n"
        "    'x': base64.urlsafe_b64encode(bytes(32)).rstrip(b'=').decode()}]})\n"
        "v = Verifier(keys, issuer='i', audience='a')\n"
        'h = base64.urlsafe_b64encode(b\'{"alg":"EdDSA","typ":"at+jwt","kid":"k"}\')\n'
        "t = h.rstrip(b'=').decode() + '.e30.' + 'A' * 86\n"
        "try:\n"
        "    anyio.run(v.verify, t)\n"
        "except InvalidToken as exc:\n"
        "    print(exc.reason)\n"
        "print('nacl' in sys.modules, 'cryptography' in sys.modules)\n"
    )
    result = run_python(probe, cwd=ROOT)
    assert result.stdout.split("\n")[:2] == ["bad signature", "True False"], (
        result.stdout + result.stderr
    )


@settings(max_examples=30, deadline=None)
@given(message=st.binary(max_size=600))
def test_the_libsodium_signer_is_cryptographys_key_byte_for_byte(message: bytes) -> None:
    from cryptography.hazmat.primitives import serialization

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = Ed25519Signer.from_pem(pem)
    assert signer.pem() == pem
    assert signer.sign(message) == key.sign(message)
    assert signer.public_key().raw == _raw(key)
    loaded = serialization.load_pem_private_key(Ed25519Signer.generate().pem(), password=None)
    assert isinstance(loaded, ed25519.Ed25519PrivateKey)


def test_a_pem_in_another_form_is_not_taken_by_the_signer() -> None:
    good = Ed25519Signer.generate().pem()
    for bad in (good.replace(b"\n-----END", b"\n\n-----END"), good[:-1], b"", good[:40]):
        with pytest.raises(ValueError):
            Ed25519Signer.from_pem(bad)


def test_identity_signs_without_loading_cryptography(tmp_path: Path) -> None:
    probe = (
        "import sys, pathlib\n"
        "from accord.security.keys import KeyStore\n"
        "from accord.security.tokens import KeySet\n"
        "from shop.identity import bootstrap\n"
        "from shop.identity.adapters import mtls\n"
        f"store = KeyStore(pathlib.Path({str(tmp_path)!r}) / 'keys.json')\n"
        "ring = store.ensure(token_lifetime=300)\n"
        "token = store.load().sign({'sub': 'x'})\n"
        "key = KeySet.static(ring.jwks(0))._keys[ring.current.kid]\n"
        "head, body, sig = token.split('.')\n"
        "from accord.security.binding import b64decode\n"
        "print(key.verify(f'{head}.{body}'.encode(), b64decode(sig)))\n"
        "print('cryptography' in sys.modules)\n"
    )
    result = run_python(probe, cwd=ROOT)
    assert result.stdout.split("\n")[:2] == ["True", "False"], result.stdout + result.stderr
