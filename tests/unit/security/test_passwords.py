"""scrypt password hashes: salted, self-describing, checked in constant time."""

from __future__ import annotations

import pytest

from accord.security.passwords import PasswordHasher

FAST = PasswordHasher(log_n=4)


def test_hash_and_verify() -> None:
    stored = FAST.hash("correct horse")
    assert stored.startswith("scrypt$4$8$1$")
    assert FAST.verify("correct horse", stored)
    assert not FAST.verify("correct horsf", stored)
    assert not FAST.verify("", stored)


def test_each_hash_has_its_own_salt() -> None:
    assert FAST.hash("same") != FAST.hash("same")


def test_no_user_and_garbage_are_false_not_errors() -> None:
    assert not FAST.verify("x", None)
    for garbage in ("", "plain", "scrypt$99$8$1$aa$bb", "scrypt$4$8$1$!!$??", "md5$x$y$z$a$b"):
        assert not FAST.verify("x", garbage)


def test_parameters_travel_with_the_hash() -> None:
    stronger = PasswordHasher(log_n=5)
    old = FAST.hash("pw")
    assert stronger.verify("pw", old)
    assert stronger.needs_rehash(old) and not FAST.needs_rehash(old)


def test_overlong_passwords_are_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        FAST.hash("x" * 2000)
    assert not FAST.verify("x" * 2000, FAST.hash("x"))
