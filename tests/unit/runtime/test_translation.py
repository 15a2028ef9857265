"""One table from domain exceptions to declared errors: the nearest class's entry wins."""

from __future__ import annotations

import pytest

from accord.errors import BadRequest, NotFound
from accord.runtime.translation import translated


class DomainError(Exception):
    pass


class Missing(DomainError):
    pass


class Gone(Missing):
    pass


TABLE = {DomainError: lambda e: BadRequest(str(e)), Missing: lambda e: NotFound(f"no {e}")}


def test_the_nearest_class_in_the_table_answers_and_the_cause_is_dropped() -> None:
    with pytest.raises(NotFound) as raised, translated(TABLE):
        raise Gone("sku A-1")
    assert raised.value.detail == "no sku A-1"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_base_class_entry_answers_its_subclasses() -> None:
    with pytest.raises(BadRequest), translated(TABLE):
        raise DomainError("bad")


def test_other_exceptions_pass_untouched() -> None:
    with pytest.raises(KeyError), translated(TABLE):
        raise KeyError("x")
