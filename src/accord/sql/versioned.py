"""Optimistic writes: a row changed only while its version is the one that was read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from accord.ports import ConcurrencyConflict
from accord.sql.unit_of_work import conflicts_as

__all__ = ["compare_and_set"]


async def compare_and_set(
    connection: AsyncConnection,
    statement: sa.Executable,
    values: Mapping[str, Any],
    *,
    seen: int,
    what: str,
    conflict: type[Exception] = ConcurrencyConflict,
) -> int:
    """Run ``statement``, an UPDATE of one row guarded by its version, and return the
    row's new version.

    The statement binds the version that was read as ``w_seen`` and the next one as
    ``new_version`` (both added to ``values``)::

        seen = sa.bindparam("w_seen")
        _SAVE = (
            skus.update()
            .where(skus.c.code == sa.bindparam("w_code"), skus.c.version == seen)
            .values(sold=sa.bindparam("new_sold"), version=sa.bindparam("new_version"))
        )
        values = {"w_code": sku.code, "new_sold": sku.sold}
        sku.version = await compare_and_set(conn, _SAVE, values, seen=sku.version, what="SKU")

    When no row matched (another transaction wrote it first) or the database reports a
    conflict, raises ``conflict``: ``"<what> changed since version <seen>"``.
    """
    async with conflicts_as(conflict):
        bound = {**values, "w_seen": seen, "new_version": seen + 1}
        touched = (await connection.execute(statement, bound)).rowcount
    if touched != 1:
        raise conflict(f"{what} changed since version {seen}")
    return seen + 1
