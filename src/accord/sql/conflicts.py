"""Conflicts: the database errors that mean "a concurrent transaction won; try again".

State changes use optimistic concurrency: ``UPDATE … WHERE id = :id AND version = :seen``
touching no row means someone else changed the row first. These database errors mean the
same thing, and a caller retries on them just the same:

- a unique key taken by a concurrent insert (SQLSTATE 23505; SQLite "UNIQUE constraint");
- a PostgreSQL serialization failure (40001) or deadlock (40P01);
- a SQLite database still locked after the busy timeout.

A CHECK constraint violation is not a conflict: it is a bug the constraint caught.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

__all__ = ["is_conflict"]

_CONFLICT_SQLSTATES = frozenset({"23505", "40001", "40P01"})
_SQLITE_CONFLICTS = ("database is locked", "unique constraint failed")


def is_conflict(exc: BaseException) -> bool:
    """True when ``exc`` means a concurrent transaction won and the work may be retried."""
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _CONFLICT_SQLSTATES
    message = str(original).lower()
    return any(fragment in message for fragment in _SQLITE_CONFLICTS)
