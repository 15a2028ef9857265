"""The signing key store: states, JWKS publication, rotation and reloads from disk."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.security import KeySet, Verifier
from accord.security.keys import KeyRing, KeyStore, KeyStoreError, SigningKey


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def claims(now: float) -> dict[str, object]:
    return {"iss": "urn:test", "aud": "shop", "sub": "s", "exp": int(now) + 900}


def test_a_new_store_has_a_current_and_a_published_next_key(tmp_path: Path) -> None:
    clock = Clock()
    store = KeyStore.under(tmp_path, "identity", clock=clock)
    assert not store.exists()
    ring = store.ensure(token_lifetime=900)
    assert ring.current.kid != ring.next.kid and ring.retired == ()
    assert {k["kid"] for k in ring.jwks(clock.now)["keys"]} == {ring.current.kid, ring.next.kid}
    assert all("d" not in k for k in ring.jwks(clock.now)["keys"])
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.ensure(token_lifetime=900) == ring  # idempotent


@pytest.mark.anyio
async def test_rotation_moves_next_to_current_and_keeps_the_old_key_until_its_tokens_expire(
    tmp_path: Path,
) -> None:
    clock = Clock()
    store = KeyStore.under(tmp_path, "identity", clock=clock)
    before = store.ensure(token_lifetime=900)
    old_token = before.sign(claims(clock.now))
    clock.now += 60
    after = store.rotate()
    assert after.current.kid == before.next.kid
    assert [k.kid for k in after.retired] == [before.current.kid]
    assert after.next.kid not in {before.current.kid, before.next.kid}
    # Tokens of the old key still verify against the published set, new ones too.
    keys = KeySet.static(after.jwks(clock.now))
    verifier = Verifier(keys, issuer="urn:test", audience="shop", clock=clock)
    assert (await verifier.verify(old_token)).subject == "s"
    assert (await verifier.verify(after.sign(claims(clock.now)))).subject == "s"
    # 900 s of token lifetime + 60 s of leeway after retirement, it is gone.
    clock.now += 960
    assert before.current.kid in {k["kid"] for k in after.jwks(clock.now)["keys"]}
    clock.now += 1
    assert before.current.kid not in {k["kid"] for k in after.jwks(clock.now)["keys"]}
    clock.now += 60
    assert before.current.kid not in {k.kid for k in store.rotate().keys}


def test_a_next_key_younger_than_15_seconds_is_not_made_current(tmp_path: Path) -> None:
    clock = Clock()
    store = KeyStore.under(tmp_path, "identity", clock=clock)
    store.ensure(token_lifetime=900)
    clock.now += 14
    with pytest.raises(KeyStoreError, match="wait 15s"):
        store.rotate()
    assert store.rotate(min_age=0).current is not None


def test_a_reader_sees_a_rotation_made_by_another_store(tmp_path: Path) -> None:
    clock = Clock()
    reader = KeyStore.under(tmp_path, "identity", clock=clock)
    first = reader.ensure(token_lifetime=900)
    assert reader.load() is first  # unchanged file: the cached ring
    clock.now += 30
    KeyStore.under(tmp_path, "identity", clock=clock).rotate()
    assert reader.load().current.kid == first.next.kid


def test_bad_files_are_refused_with_a_message(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    with pytest.raises(KeyStoreError, match="no signing keys"):
        store.load()
    store.path.write_text("{}")
    with pytest.raises(KeyStoreError, match="not a signing key file"):
        store.load()
    store.path.write_text('{"token_lifetime": 900, "keys": []}')
    with pytest.raises(KeyStoreError, match="exactly one current"):
        store.load()


def test_concurrent_rotations_never_lose_a_key(tmp_path: Path) -> None:
    clock = Clock()
    KeyStore.under(tmp_path, "identity", clock=clock).ensure(token_lifetime=900)
    errors: list[BaseException] = []

    def rotate() -> None:
        try:
            KeyStore.under(tmp_path, "identity", clock=clock).rotate(min_age=0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rotate) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ring = KeyStore.under(tmp_path, "identity", clock=clock).load()
    assert not errors
    assert len(ring.retired) == 8 and len(ring.keys) == 10


@given(st.lists(st.floats(min_value=0, max_value=2000), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None)
def test_any_rotation_schedule_keeps_every_live_token_verifiable(gaps: list[float]) -> None:
    """Whatever the pauses between rotations: one current and one next key, both
    published, and every key that signed a token still alive is still published."""
    now = 1_800_000_000.0
    ring = KeyRing((SigningKey.generate("current", now), SigningKey.generate("next", now)), 900)
    signed_until: dict[str, float] = {ring.current.kid: now + 900}
    for gap in gaps:
        now += gap
        signed_until[ring.current.kid] = now + 900  # it signed a token just now
        ring = ring.rotated(now, min_age=0)
        assert [k.state for k in ring.keys].count("current") == 1
        assert [k.state for k in ring.keys].count("next") == 1
        published = {k.kid for k in ring.published(now)}
        assert {ring.current.kid, ring.next.kid} <= published
        alive = {kid for kid, until in signed_until.items() if until >= now}
        assert alive <= published


def test_revoking_withdraws_a_key_at_once_in_any_state(tmp_path: Path) -> None:
    clock = Clock()
    store = KeyStore.under(tmp_path, "identity", clock=clock)
    first = store.ensure(token_lifetime=900)
    clock.now += 60
    second = store.rotate()  # first.current is retired now
    retired = first.current.kid
    after = store.revoke(retired)
    assert retired not in {k.kid for k in after.keys}
    assert (after.current.kid, after.next.kid) == (second.current.kid, second.next.kid)

    upcoming = after.next.kid
    after = store.revoke(upcoming)
    assert upcoming not in {k.kid for k in after.keys} and after.next.kid != upcoming
    assert after.current.kid == second.current.kid

    signing = after.current.kid
    promoted = after.next.kid
    after = store.revoke(signing)  # the next key signs from now on, however young
    assert after.current.kid == promoted
    assert signing not in {k["kid"] for k in after.jwks(clock.now)["keys"]}
    assert [k.state for k in after.keys].count("next") == 1

    with pytest.raises(KeyStoreError, match="no key 'nope'"):
        store.revoke("nope")


def test_the_file_keeps_the_longest_token_lifetime(tmp_path: Path) -> None:
    store = KeyStore.under(tmp_path, "identity", clock=Clock())
    assert store.ensure(token_lifetime=900).token_lifetime == 900
    assert store.ensure(token_lifetime=3600).token_lifetime == 3600
    assert store.ensure(token_lifetime=60).token_lifetime == 3600


def test_the_cli_finds_the_one_service_that_keeps_signing_keys(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="no signing keys in any service's folder"):
        KeyStore.find(tmp_path)
    KeyStore.under(tmp_path, "issuer").ensure(token_lifetime=900)
    assert KeyStore.find(tmp_path).path == tmp_path / "issuer" / "signing-keys.json"
    KeyStore.under(tmp_path, "another").ensure(token_lifetime=900)
    with pytest.raises(KeyStoreError, match=r"several services \(another, issuer\)"):
        KeyStore.find(tmp_path)


def test_a_key_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # A kid is typed on command lines (accord keys revoke KID), where "-…" reads as an
    # option: a draw that starts with one is drawn again.
    draws = iter(["-starts-dashed", "plain_kid-1"])
    monkeypatch.setattr("accord.security.keys.secrets.token_urlsafe", lambda _n: next(draws))
    assert SigningKey.generate("next", 0.0).kid == "plain_kid-1"
