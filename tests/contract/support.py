"""What consumer and provider contract tests share: where pacts live, and pact-python.

The pacts are Pact specification v4 JSON files written and verified by pact-python
(its Rust core ships inside the ``pact-python-ffi`` wheel, so nothing is fetched at run
time). Without the library the contract tier is skipped, except under ``CI=true``
where that is a failure: a pact nobody verifies protects nobody.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

__all__ = [
    "CONSUMER",
    "PACTS_DIR",
    "import_pact",
    "pact_path",
    "read_pact",
    "recording",
    "significant",
]

#: The consumer whose needs most pacts record (identity's are recorded for every service).
CONSUMER = "orders"

#: The committed pact files, one per consumer-provider pair.
PACTS_DIR = Path(__file__).resolve().parents[2] / "pacts"

#: ``make pacts`` sets it: consumer tests then write the committed files.
_RECORD_ENV = "ACCORD_PACT_RECORD"


def import_pact() -> ModuleType:
    """The ``pact`` package; skip the module without it (a failure under ``CI=true``)."""
    try:
        return importlib.import_module("pact")
    except ImportError as exc:
        reason = f"pact-python is not installed ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"contract tests need pact-python on CI: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


def recording() -> bool:
    """True when the consumer tests should (re)write the committed pact files."""
    return os.environ.get(_RECORD_ENV, "") == "1"


def pact_path(provider: str, folder: Path = PACTS_DIR, consumer: str = CONSUMER) -> Path:
    """``<folder>/<consumer>-<provider>.json``, the name every Pact tool gives the file."""
    return folder / f"{consumer}-{provider}.json"


def significant(document: dict[str, Any]) -> dict[str, Any]:
    """A pact without what changes with the tooling's version (``metadata`` but the spec).

    Two pacts that are equal here promise the same thing to the same provider.
    """
    spec = document.get("metadata", {}).get("pactSpecification")
    return {**document, "metadata": {"pactSpecification": spec}}


def read_pact(path: Path) -> dict[str, Any]:
    """A pact file's JSON document."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
