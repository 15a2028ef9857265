"""Record what a consumer needs from a provider as a Pact v4 file.

A :class:`Need` is one interaction: the provider states it assumes, the request the
consumer's gateway sends and the part of the response the consumer reads (declared on a
pact-python interaction), and the gateway call that makes the request and checks what
the consumer made of the answer. :func:`record` plays each need against its own Pact
mock server — so two needs on the same path never compete for one request — and merges
them into ``<folder>/<consumer>-<provider>.json``, interactions in description order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from accord.contract import Operation
from tests.contract.support import CONSUMER, import_pact, pact_path, read_pact

__all__ = ["Gateway", "Need", "State", "path_like", "play", "record"]

pact = import_pact()
match = pact.match


class Gateway(Protocol):
    """What every consumer gateway offers besides its calls: closing its client."""

    async def aclose(self) -> None: ...


G = TypeVar("G", bound=Gateway)


@dataclass(frozen=True)
class State:
    """A provider state: its name and the parameters the provider sets it up with."""

    name: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Need(Generic[G]):
    """One interaction a consumer relies on."""

    description: str
    states: tuple[State, ...]
    #: Declares the request and the response on a pact-python ``HttpInteraction``.
    declare: Callable[[Any], object]
    #: Calls the gateway (pointed at the mock provider) and asserts on what it returned.
    exercise: Callable[[G], Awaitable[None]]


def path_like(op: Operation[Any, Any], **example: str) -> Any:
    """A matcher for ``op``'s path: any value in each parameter, ``example`` as the sample."""
    template = op.path
    pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
    sample = template.format(**example)
    return match.regex(sample, regex=pattern)


async def play(
    need: Need[G],
    provider: str,
    connect: Callable[[str], G],
    folder: Path,
    consumer: str = CONSUMER,
) -> Path:
    """Run one need against a mock provider; write its one-interaction pact in ``folder``."""
    contract = pact.Pact(consumer, provider).with_specification("V4")
    interaction = contract.upon_receiving(need.description)
    for state in need.states:
        if state.params:
            interaction.given(state.name, dict(state.params))
        else:
            interaction.given(state.name)
    need.declare(interaction)
    # Leaving ``serve`` raises when the gateway's request did not match the declared one.
    with contract.serve() as server:
        gateway = connect(str(server.url))
        try:
            await need.exercise(gateway)
        finally:
            await gateway.aclose()
    return _write(contract, provider, folder, consumer)


def _write(contract: Any, provider: str, folder: Path, consumer: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    contract.write_file(folder, overwrite=True)
    return pact_path(provider, folder, consumer)


async def record(
    needs: Sequence[Need[G]],
    provider: str,
    connect: Callable[[str], G],
    folder: Path,
    consumer: str = CONSUMER,
) -> Path:
    """Play every need and merge their interactions into one pact file in ``folder``."""
    documents = []
    for n, need in enumerate(needs):
        one = await play(need, provider, connect, folder / f".need-{n}", consumer)
        documents.append(_take(one))
    return _merge(documents, pact_path(provider, folder, consumer))


def _take(path: Path) -> dict[str, Any]:
    document = read_pact(path)
    path.unlink()
    path.parent.rmdir()
    return document


def _merge(documents: list[dict[str, Any]], path: Path) -> Path:
    merged = dict(documents[0])
    merged["interactions"] = sorted(
        (i for d in documents for i in d["interactions"]), key=lambda i: i["description"]
    )
    path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
