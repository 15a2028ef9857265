"""Prepared statements: a hot statement's SQL compiled once, run on the driver itself.

SQLAlchemy Core runs a statement it has compiled before in about twenty Python calls
around the driver's own: the cache key looked up, an execution context made, the
parameters processed, a cursor result with its metadata set up, each in a few frames.
On the shop's order path (a dozen statements per service per order) that was a fifth to
a third of each service's CPU, ten times what SQLite spent running the statements.

A statement marked with :func:`prepared` is compiled once per dialect (and per set of
parameter names, as SQLAlchemy compiles an ``INSERT`` for the columns it is given)::

    _SAVE_SKU = prepared(skus.update().where(...).values(...))
    touched = (await conn.execute(_SAVE_SKU, values)).rowcount

and, on a connection of :func:`accord.sql.create_engine`'s engine, run on the driver's
connection directly: the SQL text and the parameters in the driver's style go to
``sqlite3`` or psycopg, in the transaction the connection is in (begun as SQLAlchemy
would begin it), and the rows come back as SQLAlchemy ``Row`` objects in a
:class:`PreparedResult`. What stays SQLAlchemy's: the compiled SQL, its parameters
(defaults, expanding ``IN`` lists), the transaction, commit and rollback, the pool, and
errors (a driver error is raised as SQLAlchemy wraps it, ``DBAPIError`` and its kinds,
parameters hidden as the engine says). What a :class:`PreparedResult` offers is what
the services read: ``first``, ``one``, ``one_or_none``, ``all``, ``scalar``, iteration
and ``rowcount``. Statements whose compiled form needs SQLAlchemy's processing of
parameters or results (types with bind or result processors), several parameter sets at
once, streamed results, and any statement on another engine run through SQLAlchemy as
before, marked or not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

from sqlalchemy.engine import Connection, Row
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["PREPARED", "PreparedResult", "PreparedSql", "prepared", "prepared_sql"]

#: The execution option that marks a statement as prepared.
PREPARED = "accord_prepared"
_FORMS = "accord_prepared_forms"
#: Forms kept per dialect; past it, marked statements made afresh run through SQLAlchemy.
MAX_FORMS = 500


_Statement = TypeVar("_Statement", bound=Executable)


def prepared(statement: _Statement) -> _Statement:
    """``statement``, marked to run on the driver directly (module docstring)."""
    return statement.execution_options(**{PREPARED: True})


class PreparedSql:
    """One statement compiled for one dialect: SQL text, parameters' order and
    processing, rows' keys and processing."""

    __slots__ = (
        "_described",
        "binds",
        "compiled",
        "expanding",
        "metadata",
        "positiontup",
        "results",
        "sql",
    )

    def __init__(self, compiled: SQLCompiler) -> None:
        self.compiled = compiled
        self.sql: str = compiled.string
        order = compiled.positiontup
        self.positiontup = tuple(order) if compiled.positional and order is not None else None
        self.expanding = bool(compiled.literal_execute_params or compiled.post_compile_params)
        #: The types' processing of parameters (a date to text on SQLite, say), by name.
        self.binds: Mapping[str, Any] = dict(compiled._bind_processors)
        columns = compiled._result_columns
        #: The types' processing of each column of a row (None: none), known from the
        #: first rows' description (on PostgreSQL it depends on the column's type).
        self.results: list[Any] | None = None
        self._described = False
        keys = [column.keyname for column in columns]
        self.metadata = SimpleResultMetaData(keys) if keys else None

    def row_processors(self, description: Sequence[Any] | None) -> list[Any] | None:
        """The types' processing of each column, given the driver's ``description``
        (None once :attr:`described`)."""
        if not self._described:
            assert description is not None, "the first rows come with their description"
            compiled = self.compiled
            dialect = compiled.dialect
            results = [
                column.type._cached_result_processor(dialect, described[1])
                for column, described in zip(compiled._result_columns, description, strict=True)
            ]
            self.results = results if any(results) else None
            self._described = True
        return self.results

    @property
    def described(self) -> bool:
        """Whether :meth:`row_processors` has read a description (it is not read again)."""
        return self._described

    def parameters(self, given: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL text and the driver's parameters for ``given``."""
        compiled = self.compiled
        binds = self.binds
        if self.expanding:
            state = compiled.construct_expanded_state(given)
            sql, values, order, binds = (
                state.statement,
                state.parameters,
                state.positiontup,
                state.processors,
            )
        else:
            sql, values, order = self.sql, compiled.construct_params(given), self.positiontup
        if binds:
            values = {
                name: binds[name](value) if name in binds else value
                for name, value in values.items()
            }
        if order is None:
            return sql, values
        return sql, tuple([values[name] for name in order])


def _plain(compiled: SQLCompiler) -> bool:
    """Whether parameters go to the driver under the names they were bound with."""
    return not compiled.escaped_bind_names


def prepared_sql(
    connection: Connection, statement: Any, parameters: Any, options: Any
) -> tuple[PreparedSql, Mapping[str, Any]] | None:
    """The prepared form of ``statement`` for ``connection``'s dialect and its one set of
    ``parameters``, or None: not marked, several parameter sets, or not plain."""
    own = getattr(statement, "_execution_options", None)
    if not own or not own.get(PREPARED) or (options and options.get("stream_results")):
        return None
    if parameters is None:
        given: Mapping[str, Any] = {}
    elif isinstance(parameters, Mapping):
        given = parameters
    elif isinstance(parameters, Sequence) and len(parameters) == 1:
        given = parameters[0]  # one set in a list: SQLAlchemy runs it as one, too
    else:
        return None
    dialect = connection.dialect
    forms = dialect.__dict__.get(_FORMS)
    if forms is None:
        forms = {}
        setattr(dialect, _FORMS, forms)
    key = (statement, tuple(given))
    form = forms.get(key, False)
    if form is False:
        if len(forms) >= MAX_FORMS:
            return None
        compiled = statement.compile(dialect=dialect, column_keys=sorted(given))
        form = PreparedSql(compiled) if _plain(compiled) else None
        forms[key] = form
    return None if form is None else (form, given)


def raise_wrapped(connection: Connection, sql: str, parameters: Any, error: Exception) -> NoReturn:
    """Raise ``error`` (the driver's, or a parameter missing) as SQLAlchemy raises it:
    ``DBAPIError`` and its kinds, or ``StatementError``."""
    dialect = connection.dialect
    raise DBAPIError.instance(
        sql,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=connection.engine.hide_parameters,
        dialect=dialect,
    ) from error


class PreparedResult:
    """The rows (or the count of rows touched) of a prepared statement, read at once."""

    __slots__ = ("_returns_rows", "_rows", "rowcount")

    def __init__(
        self, form: PreparedSql, description: Any, rows: Sequence[Any], rowcount: int
    ) -> None:
        metadata = form.metadata
        self._returns_rows = metadata is not None
        if metadata is None or not rows:
            self._rows: list[Row[Any]] = []
        else:
            index, processors = metadata._key_to_index, form.row_processors(description)
            self._rows = [Row(metadata, processors, index, row) for row in rows]
        #: Rows matched by an ``UPDATE`` or ``DELETE`` (the driver's count).
        self.rowcount = rowcount

    @property
    def returns_rows(self) -> bool:
        """Whether the statement gives rows (``SELECT`` or ``RETURNING``)."""
        return self._returns_rows

    def __iter__(self) -> Iterator[Row[Any]]:
        return iter(self._rows)

    def all(self) -> list[Row[Any]]:
        """Every row."""
        return list(self._rows)

    def first(self) -> Row[Any] | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    def one_or_none(self) -> Row[Any] | None:
        """The one row, None when there is none; several raise ``MultipleResultsFound``."""
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def one(self) -> Row[Any]:
        """The one row; none raises ``NoResultFound``, several ``MultipleResultsFound``."""
        row = self.one_or_none()
        if row is None:
            raise NoResultFound("No row was found when one was required")
        return row

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self._rows[0][0] if self._rows else None

    def close(self) -> None:
        """Nothing to release: the rows were read."""
