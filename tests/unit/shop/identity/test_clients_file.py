"""The clients file: provisioned once, secrets kept, private, checked in constant time."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from shop.identity.adapters.clients import ClientFile


def test_missing_clients_get_a_secret_and_existing_ones_keep_theirs(tmp_path: Path) -> None:
    first = ClientFile.under(tmp_path, ["orders"])
    path = tmp_path / "identity" / "clients.json"
    secret = json.loads(path.read_text())["clients"]["orders"]["secret"]
    assert len(secret) >= 40 and first.authenticate("orders", secret)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = ClientFile.under(tmp_path, ["orders", "operator"])
    document = json.loads(path.read_text())["clients"]
    assert document["orders"]["secret"] == secret
    assert document["operator"]["secret"] != secret
    assert second.authenticate("operator", document["operator"]["secret"])


def test_wrong_secret_unknown_client_and_borrowed_secrets_fail(tmp_path: Path) -> None:
    clients = ClientFile.under(tmp_path, ["orders", "operator"])
    document = json.loads((tmp_path / "identity" / "clients.json").read_text())["clients"]
    orders = document["orders"]["secret"]
    assert not clients.authenticate("orders", orders[:-1])
    assert not clients.authenticate("orders", "")
    assert not clients.authenticate("operator", orders)
    assert not clients.authenticate("mallory", orders)
    assert not clients.authenticate("mallory", "")
