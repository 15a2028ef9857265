"""Fixtures for integration tests: real databases, SQLite and PostgreSQL.

- ``postgres_url_factory`` (session): call it for a fresh, empty PostgreSQL database URL.
  The throwaway server starts on first use and stops at the end of the session; where
  PostgreSQL cannot run the test is skipped (a failure under ``CI=true``).
- ``database_url``: parametrized over ``sqlite`` and ``postgresql``; a test (or fixture)
  that asks for it runs once on each, with an empty database. It is how a repository
  behaviour suite runs against every adapter.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.postgres import (
    PostgresServer,
    PostgresUnavailable,
    postgres_server,
    skip_or_fail,
)


@pytest.fixture(scope="session")
def _postgres() -> Iterator[PostgresServer | PostgresUnavailable]:
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(postgres_server())
        except PostgresUnavailable as exc:
            yield exc
            return
        yield server


@pytest.fixture(scope="session")
def postgres_url_factory(
    _postgres: PostgresServer | PostgresUnavailable,
) -> Callable[[], str]:
    """A function returning the URL of a new, empty PostgreSQL database each call."""
    if isinstance(_postgres, PostgresUnavailable):
        skip_or_fail(str(_postgres))
    return _postgres.create_database


def sqlite_url(folder: Path, name: str = "test") -> str:
    """``sqlite:///<folder>/<name>.db`` (the file does not exist yet)."""
    return f"sqlite:///{folder / name}.db"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    factory: Callable[[], str] = request.getfixturevalue("postgres_url_factory")
    return factory()
