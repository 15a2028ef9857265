"""A page of a table in key order: what a listing an audit walks through reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

__all__ = ["keyset_page"]


def keyset_page(
    table: sa.Table,
    key: str,
    *,
    after: Any = None,
    limit: int,
    where: Mapping[str, Any] | None = None,
) -> sa.Select[Any]:
    """The rows of ``table`` in ``key`` order, keys after ``after`` (all when ``None``),
    ``limit`` at most, where each column named in ``where`` holds its value::

        keyset_page(orders, "order_id", after=last, limit=100, where={"status": "pending"})

    Keyset pages stay stable while rows are added, unlike offsets.
    """
    column = table.c[key]
    query = sa.select(table).order_by(column).limit(limit)
    for name, value in (where or {}).items():
        query = query.where(table.c[name] == value)
    if after is not None:
        query = query.where(column > after)
    return query
