"""Database URLs: which databases accord runs on, and with which driver.

- ``sqlite:///p`` (a file; its folder is created when needed);
- ``postgresql://…`` or ``postgres://…``, run with psycopg 3.

The service runs on the asyncio drivers (:func:`async_url`: ``aiosqlite``, async
psycopg), migrations on the blocking ones (:func:`sync_url`). A URL naming a driver of
one of those databases is accepted and re-pointed at the driver accord uses; any other
database, and an in-memory SQLite database (the migrations and the service would each
see their own), is refused with :class:`DatabaseUrlError`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from accord.errors import AccordError

__all__ = ["DatabaseUrlError", "async_url", "is_sqlite", "parse", "sqlite_file", "sync_url"]

_SQLITE = frozenset({"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"})
_POSTGRES = frozenset({"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"})


class DatabaseUrlError(AccordError, ValueError):
    """A database URL is malformed or names a database accord does not run on."""


def parse(url: str | URL) -> URL:
    """Parse and check ``url``; raise :class:`DatabaseUrlError` when it is unusable."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"not a database URL: {url!s}") from exc
    name = parsed.drivername
    if name not in _SQLITE and name not in _POSTGRES:
        raise DatabaseUrlError(
            f"unsupported database {name!r} in {parsed!r}: use sqlite:/// or postgresql://"
        )
    if name in _SQLITE and sqlite_file(parsed) is None:
        raise DatabaseUrlError(
            f"{parsed!r} is an in-memory database: use a file, sqlite:///path/to/db"
        )
    return parsed


def is_sqlite(url: URL) -> bool:
    """True for a SQLite URL (any driver)."""
    return url.drivername in _SQLITE


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def sync_url(url: str | URL) -> str:
    """The URL with a blocking driver: ``sqlite`` or ``postgresql+psycopg``.

    Migrations run on it (:func:`accord.sql.migrate`), once, before the service serves.
    """
    parsed = parse(url)
    return _render(parsed.set(drivername="sqlite" if is_sqlite(parsed) else "postgresql+psycopg"))


def async_url(url: str | URL) -> str:
    """The URL for SQLAlchemy's asyncio engine: ``sqlite+aiosqlite`` or ``postgresql+psycopg``.

    :func:`accord.sql.create_engine` serves with it; psycopg 3 is one driver for both
    worlds, and SQLAlchemy picks its async mode under ``create_async_engine``.
    """
    parsed = parse(url)
    driver = "sqlite+aiosqlite" if is_sqlite(parsed) else "postgresql+psycopg"
    return _render(parsed.set(drivername=driver))
