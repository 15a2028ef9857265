"""An implementation's one table from its domain's exceptions to the contract's errors.

An entrypoint declares, once, which declared error answers each domain exception, and
hands the table to the app that serves it (``App(..., errors=ERRORS)``): every operation
of the implementation is then answered through it (:func:`answering`)::

    ERRORS = {domain.UnknownSku: lambda e: UnknownSku(str(e), UnknownSkuInfo(sku=e.sku))}

    async def get_stock(self, request: SkuRef) -> Stock:
        return _stock(await self._service.stock(request.sku))

:func:`translated` applies the same table around one block of code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeAlias, TypeVar

__all__ = ["Answers", "answering", "translated"]

#: Domain exception class → what makes the contract's error of an exception of it.
Answers: TypeAlias = Mapping[type[Exception], Callable[[Any], Exception]]

R = TypeVar("R")


def _answer(table: Answers, exc: Exception) -> Exception:
    """The entry of ``exc``'s class, or of the nearest base class that has one, applied."""
    return next(table[kind] for kind in type(exc).__mro__ if kind in table)(exc)


@contextmanager
def translated(table: Answers) -> Iterator[None]:
    """Raise, for an exception of a class ``table`` names inside the block, what ``table``
    makes of it: the entry of its class or of the nearest base class that has one (the
    domain exception is not chained: it stays out of the answer). Other exceptions pass."""
    try:
        yield
    except tuple(table) as exc:
        raise _answer(table, exc) from None


def answering(
    method: Callable[[Any], Awaitable[R]], table: Answers
) -> Callable[[Any], Awaitable[R]]:
    """``method`` (an operation's ``async def <name>(self, request)``, bound) answering
    as :func:`translated` does: an exception of a class ``table`` names becomes what
    ``table`` makes of it, unchained; other exceptions pass. An empty table changes
    nothing, and ``method`` itself is returned."""
    if not table:
        return method
    kinds = tuple(table)

    @wraps(method)
    async def answered(request: Any) -> R:
        try:
            return await method(request)
        except kinds as exc:
            raise _answer(table, exc) from None

    return answered
