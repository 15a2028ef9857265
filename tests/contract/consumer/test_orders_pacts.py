"""The consumers' real gateways against Pact mock providers: orders of inventory and
payments, and every service of identity (its token and key-set clients).

Each need is played against its own mock provider: the gateway's request must match the
declared one, and orders must make the right thing of the declared answer. The pact
files under ``pacts/`` are what providers verify; ``make pacts`` rewrites them, and a test
fails while they differ from what these needs record now.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.contract.consumer import identity_needs, inventory_needs, payments_needs
from tests.contract.consumer.recording import Need, play, record
from tests.contract.support import PACTS_DIR, pact_path, read_pact, recording, significant

Pair = tuple[Callable[[], Sequence[Need[Any]]], Callable[[str], Any]]

#: (consumer, provider) → its needs and the gateway that makes them.
PAIRS: dict[tuple[str, str], Pair] = {
    ("orders", inventory_needs.PROVIDER): (inventory_needs.needs, inventory_needs.connect),
    ("orders", payments_needs.PROVIDER): (payments_needs.needs, payments_needs.connect),
    **{
        (consumer, identity_needs.PROVIDER): (needs, identity_needs.connect)
        for consumer, needs in identity_needs.NEEDS.items()
    },
}

CASES = [
    pytest.param(consumer, provider, need, id=f"{consumer} -> {provider}: {need.description}")
    for (consumer, provider), (needs, _) in PAIRS.items()
    for need in needs()
]


@pytest.mark.anyio
@pytest.mark.parametrize(("consumer", "provider", "need"), CASES)
async def test_a_consumer_gets_what_it_needs(
    consumer: str, provider: str, need: Need[Any], tmp_path: Path
) -> None:
    _, connect = PAIRS[consumer, provider]
    written = read_pact(await play(need, provider, connect, tmp_path, consumer))
    assert written["consumer"] == {"name": consumer}
    assert written["provider"] == {"name": provider}
    assert written["metadata"]["pactSpecification"] == {"version": "4.0"}
    (interaction,) = written["interactions"]
    assert interaction["type"] == "Synchronous/HTTP"
    assert interaction["description"] == need.description
    assert [s["name"] for s in interaction["providerStates"]] == [s.name for s in need.states]


@pytest.mark.anyio
@pytest.mark.parametrize(("consumer", "provider"), list(PAIRS), ids=[f"{c}-{p}" for c, p in PAIRS])
async def test_committed_pact_is_what_the_consumer_needs_now(
    consumer: str, provider: str, tmp_path: Path
) -> None:
    needs, connect = PAIRS[consumer, provider]
    if recording():
        await record(needs(), provider, connect, PACTS_DIR, consumer)
        return
    fresh = significant(read_pact(await record(needs(), provider, connect, tmp_path, consumer)))
    committed_path = pact_path(provider, consumer=consumer)
    assert committed_path.exists(), f"{committed_path} is missing: run `make pacts`"
    committed = significant(read_pact(committed_path))
    if committed != fresh:
        diff = difflib.unified_diff(
            json.dumps(committed, indent=2, sort_keys=True).splitlines(),
            json.dumps(fresh, indent=2, sort_keys=True).splitlines(),
            f"committed {committed_path.name}",
            "recorded now",
            lineterm="",
        )
        pytest.fail(
            f"{committed_path} differs from what {consumer}'s consumer tests record now; "
            "run `make pacts` and commit the result:\n" + "\n".join(diff),
            pytrace=False,
        )
    assert len(committed["interactions"]) == len(needs())
