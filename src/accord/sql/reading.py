"""Connections that only read: declared with an execution option, writes refused.

A unit of work opened to read (:class:`accord.sql.UnitOfWork` with ``read_only=True``)
marks its connection with the execution option :data:`READ_ONLY`. What the option does
depends on the database, not on the caller:

- **SQLite**: the transaction begins with a plain ``BEGIN``, not ``BEGIN IMMEDIATE``: it
  takes no write lock (WAL: it reads a snapshot taken at its first statement and never
  waits for a writer).
- **PostgreSQL**: each statement is sent alone, in autocommit, without ``BEGIN`` and
  ``ROLLBACK``: one round trip instead of three for a lookup. A statement sent outside a
  transaction block runs as a transaction of its own, and sees what was committed before
  it began, as a statement of a ``READ COMMITTED`` transaction does (accord's
  PostgreSQL engines run at that level: each statement of a transaction takes its own
  snapshot there too), so a unit of work of reads sees nothing it would not have seen in
  a transaction.

Either way a statement that may write is refused before it is sent, with
:class:`ReadOnlyViolation`: on PostgreSQL it would otherwise be committed at once, on
its own. What reads: a SQLAlchemy ``SELECT`` without ``FOR UPDATE``/``FOR SHARE``, or
SQL text that starts with ``SELECT`` (without those clauses), ``VALUES``, ``SHOW`` or
``TABLE``. Anything else (``INSERT``, ``UPDATE``, ``DELETE``, DDL, a ``WITH`` in text,
which may hide a write) is taken as a write. This is a guard against a use case that
declared the wrong kind of unit of work, not a security boundary: a ``SELECT`` may still
call a function that writes.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import TextClause
from sqlalchemy.engine import Connection

from accord.errors import AccordError

__all__ = ["READ_ONLY", "ReadOnlyViolation", "refuse_writes", "writes"]

#: An execution option: this connection only reads, so on SQLite it need not wait for
#: (or hold) the write lock, on PostgreSQL its statements are sent alone (autocommit),
#: and a statement that may write is refused (:class:`ReadOnlyViolation`).
READ_ONLY = "accord_read_only"

_READS = re.compile(r"\s*(SELECT|VALUES|SHOW|TABLE)\b", re.IGNORECASE)
_LOCKS = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.IGNORECASE)


class ReadOnlyViolation(AccordError):
    """A write (or a commit) attempted in a unit of work declared to only read."""


def writes(statement: Any) -> bool:
    """Whether ``statement`` (a SQLAlchemy statement or SQL text) may write or lock rows."""
    if isinstance(statement, TextClause):
        statement = statement.text
    if isinstance(statement, str):
        return _READS.match(statement) is None or _LOCKS.search(statement) is not None
    return (
        not getattr(statement, "is_select", False)
        or getattr(statement, "_for_update_arg", None) is not None
    )


def refuse_writes(connection: Connection, statement: Any) -> None:
    """Raise :class:`ReadOnlyViolation` when ``connection`` only reads and ``statement``
    may write."""
    if connection._execution_options.get(READ_ONLY) and writes(statement):
        what = getattr(statement, "text", None) or str(statement)
        first = " ".join(str(what).split())[:60]
        raise ReadOnlyViolation(f"a unit of work that only reads may not run {first!r}")
