"""Stable bytes, file names, export, and the clashes the export refuses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from accord import Contract, ContractError, ServiceError, openapi, operation
from tests.unit.openapi.sample_contract import Book, Catalog, GetBook

ROOT = Path(__file__).resolve().parents[3]


def test_public_api() -> None:
    assert set(openapi.__all__) == {
        "OPENAPI_VERSION",
        "document",
        "export",
        "filename",
        "render",
        "rendered",
    }


def test_render_is_indented_json_with_a_trailing_newline() -> None:
    data = openapi.render(Catalog)
    assert data.endswith(b"}\n")
    assert not data.endswith(b"\n\n")
    lines = data.decode("utf-8").splitlines()
    assert lines[:3] == ["{", '  "openapi": "3.1.0",', '  "info": {']
    assert json.loads(data) == openapi.document(Catalog)


def test_render_is_the_same_on_every_call() -> None:
    assert openapi.render(Catalog) == openapi.render(Catalog)


def test_render_is_the_same_under_any_hash_seed() -> None:
    script = (
        "import hashlib, sys; from accord import openapi; "
        "from tests.unit.openapi.sample_contract import Catalog; "
        "sys.stdout.write(hashlib.sha256(openapi.render(Catalog)).hexdigest())"
    )
    digests = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        digests.add(done.stdout)
    assert digests == {hashlib.sha256(openapi.render(Catalog)).hexdigest()}


def test_filename_names_the_service_and_major_version() -> None:
    assert openapi.filename(Catalog) == "catalog.v2.openapi.json"


def test_export_writes_one_file_per_contract(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "contracts"
    written = openapi.export([Catalog, _OtherService], out)
    assert written == [out / "catalog.v2.openapi.json", out / "other.v1.openapi.json"]
    assert written[0].read_bytes() == openapi.render(Catalog)
    assert written[1].read_bytes() == openapi.render(_OtherService)
    assert sorted(p.name for p in out.iterdir()) == [
        "catalog.v2.openapi.json",
        "other.v1.openapi.json",
    ]


def test_export_refuses_two_contracts_for_one_file(tmp_path: Path) -> None:
    class Again(Contract, name="catalog", version="2.0.0"):
        get_book = operation(GetBook, Book, path="/books/{book_id}")

    with pytest.raises(ContractError, match=r"both catalog v2") as info:
        openapi.export([Catalog, Again], tmp_path)
    assert "sample_contract.Catalog" in str(info.value)
    assert list(tmp_path.iterdir()) == []


class _Ping(msgspec.Struct):
    text: str = ""


class _OtherService(Contract, name="other", version="1.4.0"):
    """Another service."""

    ping = operation(_Ping, _Ping)


def test_two_types_with_one_name_fail_naming_both() -> None:
    sku_item = msgspec.defstruct("Item", [("sku", str)], module="shop_a.messages")
    label_item = msgspec.defstruct("Item", [("label", str)], module="shop_b.messages")
    put = msgspec.defstruct("PutItems", [("items", list[sku_item])])  # type: ignore[valid-type]
    got = msgspec.defstruct("GotItems", [("items", list[label_item])])  # type: ignore[valid-type]

    class Clash(Contract, name="clash", version="1.0.0"):
        put_items = operation(put, got)

    with pytest.raises(ContractError, match="two different types are both named 'Item'") as info:
        openapi.document(Clash)
    assert "shop_a.messages.Item" in str(info.value)
    assert "shop_b.messages.Item" in str(info.value)


def test_a_message_type_named_problem_is_refused() -> None:
    class Problem(msgspec.Struct):
        what: str

    class Taken(Contract, name="taken", version="1.0.0"):
        report = operation(Problem, Book)

    with pytest.raises(ContractError, match=r"'Problem'.*is taken by the problem document"):
        openapi.document(Taken)


def test_one_code_with_two_meanings_is_refused() -> None:
    class Gone(ServiceError[None], code="catalog.gone", status=404):
        """Gone"""

    class GoneForGood(ServiceError[None], code="catalog.gone", status=410):
        """Gone for good"""

    class Twice(Contract, name="twice", version="1.0.0"):
        first = operation(GetBook, Book, path="/a/{book_id}", errors=(Gone,))
        second = operation(GetBook, Book, path="/b/{book_id}", errors=(GoneForGood,))

    with pytest.raises(ContractError, match=r"'catalog\.gone' is declared by both"):
        openapi.document(Twice)
