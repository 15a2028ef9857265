"""One table from domain exceptions to declared errors: the nearest class's entry wins."""

from __future__ import annotations

import pytest

from accord.errors import BadRequest, NotFound
from accord.runtime.translation import answering, translated


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


class Shelf:
    async def take(self, request: str) -> str:
        if request == "gone":
            raise Gone("sku A-1")
        if request == "broken":
            raise KeyError(request)
        return f"took {request}"


@pytest.mark.anyio
async def test_an_operation_answering_through_the_table() -> None:
    take = answering(Shelf().take, TABLE)
    assert take.__name__ == "take"
    assert await take("A-1") == "took A-1"
    with pytest.raises(NotFound) as raised:
        await take("gone")
    assert raised.value.detail == "no sku A-1" and raised.value.__cause__ is None
    with pytest.raises(KeyError):
        await take("broken")


def test_an_empty_table_leaves_the_operation_as_it_is() -> None:
    shelf = Shelf()
    assert answering(shelf.take, {}) == shelf.take
