"""An implementation's one table from its domain's exceptions to the contract's errors.

An entrypoint declares, once, which declared error answers each domain exception, and
wraps each use case in :func:`translated`::

    ERRORS = {domain.UnknownSku: lambda e: UnknownSku(str(e), UnknownSkuInfo(sku=e.sku))}

    async def get_stock(self, request: SkuRef) -> Stock:
        with translated(ERRORS):
            return _stock(await self._service.stock(request.sku))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["translated"]


@contextmanager
def translated(table: Mapping[type[Exception], Callable[[Any], Exception]]) -> Iterator[None]:
    """Raise, for an exception of a class ``table`` names inside the block, what ``table``
    makes of it: the entry of its class or of the nearest base class that has one (the
    domain exception is not chained: it stays out of the answer). Other exceptions pass."""
    try:
        yield
    except tuple(table) as exc:
        for kind in type(exc).__mro__:
            if kind in table:
                raise table[kind](exc) from None
        raise  # pragma: no cover - the except clause matched one of the table's classes
