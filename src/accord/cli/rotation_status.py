"""``accord keys status`` and ``accord certs status``: what is current, what expires when,
when the next rotation is due (a Rich table, or ``--json``).

Due times follow the schedule ``accord up`` keeps (:mod:`accord.security.rotation`,
decision 0019); outside ``accord up`` nothing rotates by itself, and an overdue
rotation shows as ``overdue``.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from cryptography import x509
from rich.console import Console
from rich.table import Table

from accord import project
from accord.cli.exits import fail
from accord.config.rotation import RotationSettings, load_settings
from accord.errors import AccordError
from accord.security.certs import CertStore
from accord.security.keys import RETIRED_LEEWAY, KeyStore
from accord.security.rotation import cert_renewal_due, key_rotation_due

__all__ = ["certs_status", "keys_status"]


def _settings() -> RotationSettings:
    try:
        root = project.load().root
    except project.ProjectError:
        root = Path.cwd()
    return load_settings(root, os.environ)()


def _when(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _relative(epoch: float | None, now: float) -> str:
    if epoch is None:
        return "-"
    delta = epoch - now
    text = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if delta < 0:
        return f"{text} (overdue)" if delta < -1 else f"{text} (now)"
    return f"{text} (in {_span(delta)})"


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _emit(rows: list[dict[str, Any]], summary: dict[str, Any], table: Table, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({**summary, "items": rows}, indent=2))
        return
    Console(highlight=False).print(table)


def keys_status(home: Path, *, as_json: bool) -> None:
    """The signing keys of ``home``: state, created, published until; the next rotation."""
    if not home.is_dir():
        raise fail(f"no project home at {home}", code=1)
    try:
        ring = KeyStore.find(home).load()
    except (AccordError, OSError) as exc:
        raise fail(" ".join(str(exc).split()), code=1) from None
    settings, now = _settings(), time.time()
    due = key_rotation_due(ring, settings.key_period)
    rows: list[dict[str, Any]] = []
    for key in ring.keys:
        ends: float | None = None
        if key.retired_at is not None:
            ends = key.retired_at + ring.token_lifetime + RETIRED_LEEWAY
        rows.append(
            {
                "kid": key.kid,
                "state": key.state,
                "created_at": _when(key.created_at),
                "retired_at": _when(key.retired_at),
                "published_until": _when(ends),
                "signs_from": _when(due) if key.state == "next" else None,
            }
        )
    table = Table(title=f"signing keys in {home}", title_justify="left")
    for column in ("kid", "state", "created", "when"):
        table.add_column(column)
    for key in ring.keys:
        if key.retired_at is not None:
            until = "published until " + _relative(
                key.retired_at + ring.token_lifetime + RETIRED_LEEWAY, now
            )
        else:
            until = ("signs from " if key.state == "next" else "signs until ") + _relative(due, now)
        table.add_row(key.kid, key.state, f"{_span(now - key.created_at)} ago", until)
    table.caption = f"next rotation: {_relative(due, now)}; every {_span(settings.key_period)}"
    summary = {
        "current": ring.current.kid,
        "next": ring.next.kid,
        "next_rotation": _when(due),
        "key_period": settings.key_period,
        "token_lifetime": ring.token_lifetime,
    }
    _emit(rows, summary, table, as_json)


def certs_status(folder: Path, *, as_json: bool) -> None:
    """The CA and every certificate in ``folder``: id, serial, validity, renewal due."""
    store = CertStore(folder)
    if not folder.is_dir() or not store.ca_cert_path.exists():
        raise fail(f"no certificates in {folder} (run `accord certs init` first)", code=1)
    now = time.time()
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.crt")):
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except (OSError, ValueError):
            rows.append({"name": path.stem, "error": "unreadable"})
            continue
        ca = path == store.ca_cert_path
        end = cert.not_valid_after_utc.timestamp()
        rows.append(
            {
                "name": path.stem,
                "spiffe_id": _uri(cert),
                "serial": f"{cert.serial_number:x}",
                "not_before": _when(cert.not_valid_before_utc.timestamp()),
                "not_after": _when(end),
                "renewal_due": None if ca else _when(cert_renewal_due(cert)),
                "expired": end <= now,
            }
        )
    table = Table(title=f"certificates in {folder}", title_justify="left")
    for column in ("name", "SPIFFE id", "serial", "expires", "renewal due"):
        table.add_column(column)
    for row in rows:
        if "error" in row:
            table.add_row(row["name"], "unreadable", "", "", "")
            continue
        expires = _relative(datetime.fromisoformat(row["not_after"]).timestamp(), now)
        renew = row["renewal_due"]
        due = _relative(datetime.fromisoformat(renew).timestamp(), now) if renew else "by hand"
        table.add_row(row["name"], row["spiffe_id"], row["serial"][:12], expires, due)
    settings = _settings()
    table.caption = (
        f"lifetime {_span(settings.cert_lifetime)}, renewed at two thirds under accord up"
    )
    _emit(rows, {"folder": str(folder), "cert_lifetime": settings.cert_lifetime}, table, as_json)


def _uri(cert: x509.Certificate) -> str:
    from accord.security.spiffe import uri_sans

    uris = uri_sans(cert)
    return uris[0] if len(uris) == 1 else ""
