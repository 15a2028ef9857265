"""Contract documents as files: one ``<name>.v<major>.openapi.json`` per contract."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from accord.contract import Contract
from accord.errors import ContractError
from accord.openapi._document import render

__all__ = ["export", "filename", "rendered"]


def filename(contract: type[Contract]) -> str:
    """The file name of a contract's document: ``orders.v1.openapi.json``."""
    return f"{contract.name}.v{contract.major()}.openapi.json"


def rendered(contracts: Sequence[type[Contract]]) -> dict[str, bytes]:
    """File name → rendered document for each contract, in the order given.

    Raises :class:`ContractError` when two contracts would write the same file.
    """
    out: dict[str, bytes] = {}
    owners: dict[str, type[Contract]] = {}
    for contract in contracts:
        name = filename(contract)
        if name in owners and owners[name] is not contract:
            raise ContractError(
                f"{_qualified(owners[name])} and {_qualified(contract)} are both "
                f"{contract.name} v{contract.major()}; each major version needs one contract"
            )
        owners[name] = contract
        out[name] = render(contract)
    return out


def export(contracts: Sequence[type[Contract]], out: Path) -> list[Path]:
    """Write each contract's document into ``out`` (created if needed); the paths written.

    Every document is rendered before any file is touched, and each file is replaced
    atomically, so a failure leaves the folder as it was.
    """
    documents = rendered(contracts)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, data in documents.items():
        target = out / name
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
