"""A page of a table in key order: what a listing an audit walks through reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import sqlalchemy as sa

__all__ = ["PageRequest", "keyset_page"]


class PageRequest(Protocol):
    """What a page asks for: keys after ``after`` (all when ``None``), ``limit`` rows at
    most, and the columns ``where()`` names holding its values."""

    @property
    def after(self) -> Any:
        """The last key of the previous page, or ``None`` for the first page."""
        ...

    @property
    def limit(self) -> int:
        """How many rows at most."""
        ...

    def where(self) -> Mapping[str, Any]:
        """Column name → the value it must hold (empty: every row)."""
        ...


def keyset_page(table: sa.Table, key: str, page: PageRequest) -> sa.Select[Any]:
    """The rows of ``table`` in ``key`` order that ``page`` asks for::

        keyset_page(orders, "order_id", listing)  # listing.after, .limit, .where()

    Keyset pages stay stable while rows are added, unlike offsets.
    """
    column = table.c[key]
    query = sa.select(table).order_by(column).limit(page.limit)
    for name, value in page.where().items():
        query = query.where(table.c[name] == value)
    if page.after is not None:
        query = query.where(column > page.after)
    return query
