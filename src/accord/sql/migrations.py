"""Alembic, run from code: the schema is created and evolved only by migrations.

A service keeps ``adapters/migrations/env.py`` (two lines) and ``versions/``, and its
composition root runs them before serving::

    migrate(settings.database_url, MIGRATIONS, version_table="inventory_alembic_version")

``env.py``::

    from accord.sql import alembic_env

    alembic_env()

With ``isolated=True`` the migrations run in a child process (the same Python, the same
working folder), so Alembic and Mako, needed once at start-up, are never loaded in the
service itself: about 5 MiB less for the life of the process, for about half a second
more at start. A failure there raises :class:`MigrationError` with the child's last line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from accord.errors import AccordError
from accord.sql.urls import DatabaseUrlError, is_sqlite, parse, sqlite_file, sync_url

__all__ = ["DEFAULT_VERSION_TABLE", "MigrationError", "alembic_env", "migrate"]

#: The version table used when a service does not name its own.
DEFAULT_VERSION_TABLE = "alembic_version"
_URL = "accord.url"
_VERSION_TABLE = "accord.version_table"
#: How an isolated migration's child is told what to do (never on its command line,
#: where a password in the URL would show in ``ps``).
_CHILD_VARIABLES = ("ACCORD_MIGRATE_URL", "ACCORD_MIGRATE_FOLDER", "ACCORD_MIGRATE_TABLE")


class MigrationError(AccordError):
    """Migrations run in a child process (``isolated=True``) failed."""


def migrate(
    url: str | URL,
    migrations: str | Path,
    *,
    version_table: str = DEFAULT_VERSION_TABLE,
    isolated: bool = False,
) -> None:
    """Upgrade the database at ``url`` to the newest revision in ``migrations``.

    ``migrations`` is the folder holding ``env.py`` and ``versions/``; ``version_table``
    keeps the histories of services sharing one database apart. Blocking: call it from
    the composition root before the app serves. Running it again at head changes nothing.
    ``isolated``: run them in a child process (see the module's docstring).
    """
    if isolated:
        _migrate_in_child(url, migrations, version_table)
        return
    from alembic import command
    from alembic.config import Config

    folder = Path(migrations)
    if not (folder / "env.py").is_file():
        raise FileNotFoundError(f"no Alembic env.py in {folder}")
    parsed = parse(url)
    path = sqlite_file(parsed) if is_sqlite(parsed) else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(folder))
    # The URL travels as an attribute, not an option: configparser would take the '%'
    # of a percent-encoded password for interpolation.
    config.attributes[_URL] = sync_url(parsed)
    config.attributes[_VERSION_TABLE] = version_table
    command.upgrade(config, "head")


def alembic_env(target_metadata: sa.MetaData | None = None) -> None:
    """The whole body of a service's ``migrations/env.py``.

    Runs the migrations on the URL and version table :func:`migrate` passed, each
    revision in its own transaction where the database allows (PostgreSQL); SQLite gets
    batch mode so that ``ALTER TABLE`` migrations work there too. ``target_metadata`` is
    only needed for ``alembic revision --autogenerate``.
    """
    from alembic import context

    config = context.config
    url = config.attributes.get(_URL) or config.get_main_option("sqlalchemy.url")
    if not url:
        raise DatabaseUrlError("no database URL: run migrations with accord.sql.migrate()")
    parsed = make_url(sync_url(url))
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                version_table=config.attributes.get(_VERSION_TABLE, DEFAULT_VERSION_TABLE),
                render_as_batch=is_sqlite(parsed),
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def _migrate_in_child(url: str | URL, migrations: str | Path, version_table: str) -> None:
    rendered = parse(url).render_as_string(hide_password=False)
    values = (rendered, str(Path(migrations).resolve()), version_table)
    env = {**os.environ, **dict(zip(_CHILD_VARIABLES, values, strict=True))}
    code = "from accord.sql.migrations import _child; _child()"
    result = subprocess.run(  # noqa: S603 - this Python, a fixed program
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        raise MigrationError(f"migrations in {migrations} failed: {lines[-1]}")


def _child() -> None:
    """The child of an isolated :func:`migrate`: one line on stderr when it fails."""
    url, folder, table = (os.environ[name] for name in _CHILD_VARIABLES)
    try:
        migrate(url, folder, version_table=table)
    except Exception as exc:
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
