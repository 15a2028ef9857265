"""Domain errors declared by the values they carry and a message made of them.

A service's domain error that carries values annotates them and says its message as a
format string over them; it is raised with those values, in the order annotated or by
name, and keeps each as an attribute::

    class OutOfStock(InventoryError, ValuedError):
        sku: str
        requested: int
        available: int
        message = "{sku}: {requested} requested, {available} available"

    OutOfStock("SKU-1", 3, 1)  # str(): "SKU-1: 3 requested, 1 available"

``str(error)`` and ``error.args`` are the message, as for an error raised with it. An
error with no values of its own (raised with a sentence) stays a plain exception.

A use case that reads one record raises its domain's "not found" when there is none:
``found(await uow.skus.get(code), UnknownSku, code)`` is the SKU, or ``UnknownSku(code)``
raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, ParamSpec, TypeVar, dataclass_transform

__all__ = ["ValuedError", "found"]

T = TypeVar("T")
P = ParamSpec("P")


@dataclass_transform(eq_default=False)
class ValuedError(Exception):
    """An error made of its annotated values; ``message`` formats them (``str.format``).

    Each subclass becomes a dataclass (compared by identity, as exceptions are), so its
    constructor takes its fields, mypy checks the arguments, and a field may have a
    default (``sent: bool = True``) or be keyword-only (after ``_: KW_ONLY``).
    """

    #: The message: a format string over the fields (``"no order {order_id!r}"``).
    message: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(eq=False)(cls)

    def __post_init__(self) -> None:
        # Called by the generated constructor once the fields are set, and before
        # anything else is: the instance's attributes are its values.
        Exception.__init__(self, self.message.format_map(vars(self)))


def found(value: T | None, missing: Callable[P, Exception], *args: P.args, **kwargs: P.kwargs) -> T:
    """``value``, a record a use case read; ``missing(*args, **kwargs)`` raised when it is
    None (there was none)."""
    if value is None:
        raise missing(*args, **kwargs)
    return value
