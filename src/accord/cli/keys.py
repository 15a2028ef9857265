"""``accord keys``: the token signing keys of the shop's identity service.

::

    accord keys show [--home DIR]                  # each key: kid, state, age
    accord keys rotate [--home DIR] [--min-age 15] # next → current, a new next, retire old
    accord keys jwks [--home DIR]                  # the JWKS document identity publishes
    accord keys revoke KID [--home DIR]            # withdraw a leaked key at once
    accord keys status [--home DIR] [--json]       # current, expiries, next rotation due
    accord keys client NAME... [--home DIR]        # a client's own key pair (private_key_jwt)

The key file is ``<home>/identity/signing-keys.json`` (``<home>`` is the project home of
the nearest ``accord.toml``, ``$ACCORD_HOME``, or ``--home``). A running identity service
reads it again on its next request, so a rotation needs no restart. Client key pairs
(``accord keys client``) go to ``<home>/client-keys/`` (``accord.security.clientkeys``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from accord import project
from accord.cli.audit import record
from accord.cli.exits import fail
from accord.errors import AccordError
from accord.security.keys import MIN_PUBLISHED, KeyRing, KeyStore

__all__ = ["register"]

keys_app = typer.Typer(
    name="keys",
    help="Show, publish and rotate the token issuer's signing keys.",
    no_args_is_help=True,
)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Project home (default: from accord.toml).", show_default=False),
]


def register(app: typer.Typer) -> None:
    """Add the ``keys`` group to the accord CLI."""
    from accord.cli import _help

    app.add_typer(keys_app, rich_help_panel=_help.SECURITY)


@keys_app.command("show")
def show_command(home: HomeOption = None) -> None:
    """List the signing keys and their states.

    Example: accord keys show
    """
    ring = _load(home)
    now = time.time()
    published = {k.kid for k in ring.published(now)}
    for key in ring.keys:
        age = now - key.created_at
        note = "" if key.kid in published else " (expired, dropped at the next rotation)"
        typer.echo(f"{key.state:8} {key.kid}  created {age:,.0f}s ago{note}")


@keys_app.command("status")
def status_command(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """What signs now, what is published until when, when the next rotation is due.

    Example: accord keys status --json
    """
    from accord.cli.rotation_status import keys_status

    keys_status(_home(home, code=1), as_json=as_json)


@keys_app.command("jwks")
def jwks_command(home: HomeOption = None) -> None:
    """Print the JWKS document (public keys only).

    Example: accord keys jwks > jwks.json
    """
    typer.echo(json.dumps(_load(home).jwks(time.time()), indent=2))


@keys_app.command("rotate")
def rotate_command(
    home: HomeOption = None,
    min_age: Annotated[
        float,
        typer.Option(
            "--min-age", min=0, help="Seconds the next key must have been published first."
        ),
    ] = MIN_PUBLISHED,
) -> None:
    """Make the next key current, publish a new next key, retire the old current key.

    Example: accord keys rotate --min-age 600
    """
    where = _home(home)
    try:
        store = KeyStore.find(where)
        before = store.load()
        after = store.rotate(min_age=min_age)
    except (AccordError, OSError) as exc:
        record(
            "keys.rotate",
            target="signing-keys",
            outcome="failed",
            home=where,
            details={"error": _one_line(exc)},
        )
        raise fail(_one_line(exc)) from None
    record(
        "keys.rotate",
        target="signing-keys",
        home=where,
        details={
            "current": after.current.kid,
            "next": after.next.kid,
            "retired": before.current.kid,
        },
    )
    typer.echo(f"current {after.current.kid} (was next)")
    typer.echo(f"next    {after.next.kid} (new, published now)")
    typer.echo(f"retired {before.current.kid} (published until its tokens expire)")


@keys_app.command("revoke")
def revoke_command(
    kid: Annotated[str, typer.Argument(help="The key id to withdraw.", metavar="KID")],
    home: HomeOption = None,
) -> None:
    """Withdraw one key at once (a leaked key); the current key is rotated out first.

    Example: accord keys revoke 2b7c9e41
    """
    where = _home(home)
    try:
        store = KeyStore.find(where)
        before = store.load()
        after = store.revoke(kid)
    except (AccordError, OSError) as exc:
        record(
            "keys.revoke",
            target=kid,
            outcome="failed",
            home=where,
            details={"error": _one_line(exc)},
        )
        raise fail(_one_line(exc)) from None
    record(
        "keys.revoke",
        target=kid,
        home=where,
        details={"current": after.current.kid, "next": after.next.kid},
    )
    typer.echo(f"revoked {kid}: no longer published; its tokens fail once verifiers refresh")
    if before.current.kid == kid:
        typer.echo(f"current {after.current.kid} (was next)")
    if before.current.kid == kid or before.next.kid == kid:
        typer.echo(f"next    {after.next.kid} (new, published now)")


@keys_app.command("client")
def client_command(
    names: Annotated[list[str], typer.Argument(help="Whose key pairs to make.", metavar="NAME...")],
    home: HomeOption = None,
) -> None:
    """Make a client's own key pair where missing (RFC 7523 private_key_jwt): the private
    key signs its client assertions, the token issuer is given the public JWKS.

    Example: accord keys client orders operator --home /tmp/keys
    """
    from accord.security.clientkeys import ClientKeys

    where = _home(home)
    keys = ClientKeys.under(where)
    bad = [n for n in names if not n or not all(c.isalnum() or c in "-_" for c in n)]
    if bad:
        raise fail(f"not a client key name: {bad[0]!r} (letters, digits, '-' and '_')")
    try:
        made = set(keys.ensure(names))
    except OSError as exc:
        raise fail(_one_line(exc)) from None
    for name in names:
        record("keys.client", target=name, home=where, details={"made": str(name in made)})
        state = "made" if name in made else "kept"
        typer.echo(f"{state} {name}: {keys.key_path(name)} (private), {keys.jwks_path(name)}")


def _load(home: Path | None) -> KeyRing:
    try:
        return KeyStore.find(_home(home)).load()
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None


def _home(home: Path | None, *, code: int = 2) -> Path:
    if home is not None:
        return home
    try:
        return project.load().home
    except project.ProjectError as exc:
        raise fail(f"{_one_line(exc)} (or give --home)", code=code) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
