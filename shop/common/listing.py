"""Which records a listing asks for: the filter an audit pages through a service with."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Listing"]

S = TypeVar("S", bound=enum.Enum)


@dataclass(frozen=True, kw_only=True)
class Listing(Generic[S]):
    """Up to ``limit`` records in id order, ids after ``after``, of one ``status`` and one
    ``order_id`` when given (inventory's reservations, payments' authorizations)."""

    status: S | None = None
    order_id: str | None = None
    after: str | None = None
    limit: int = 100

    def where(self) -> dict[str, object]:
        """The filters given, as column → stored value (a status as its value)."""
        given = {
            "status": None if self.status is None else self.status.value,
            "order_id": self.order_id,
        }
        return {name: value for name, value in given.items() if value is not None}
