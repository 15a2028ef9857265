"""Orders, the consumer: its real gateways against Pact mock providers.

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

from tests.contract.consumer import inventory_needs, payments_needs
from tests.contract.consumer.recording import Need, play, record
from tests.contract.support import PACTS_DIR, pact_path, read_pact, recording, significant

Pair = tuple[Callable[[], Sequence[Need[Any]]], Callable[[str], Any]]

PAIRS: dict[str, Pair] = {
    inventory_needs.PROVIDER: (inventory_needs.needs, inventory_needs.connect),
    payments_needs.PROVIDER: (payments_needs.needs, payments_needs.connect),
}

CASES = [
    pytest.param(provider, need, id=f"{provider}: {need.description}")
    for provider, (needs, _) in PAIRS.items()
    for need in needs()
]


@pytest.mark.anyio
@pytest.mark.parametrize(("provider", "need"), CASES)
async def test_orders_gets_what_it_needs(provider: str, need: Need[Any], tmp_path: Path) -> None:
    _, connect = PAIRS[provider]
    written = read_pact(await play(need, provider, connect, tmp_path))
    assert written["consumer"] == {"name": "orders"}
    assert written["provider"] == {"name": provider}
    assert written["metadata"]["pactSpecification"] == {"version": "4.0"}
    (interaction,) = written["interactions"]
    assert interaction["type"] == "Synchronous/HTTP"
    assert interaction["description"] == need.description
    assert [s["name"] for s in interaction["providerStates"]] == [s.name for s in need.states]


@pytest.mark.anyio
@pytest.mark.parametrize("provider", list(PAIRS))
async def test_committed_pact_is_what_orders_needs_now(provider: str, tmp_path: Path) -> None:
    needs, connect = PAIRS[provider]
    if recording():
        await record(needs(), provider, connect, PACTS_DIR)
        return
    fresh = significant(read_pact(await record(needs(), provider, connect, tmp_path)))
    committed_path = pact_path(provider)
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
            f"{committed_path} differs from what orders' consumer tests record now; "
            "run `make pacts` and commit the result:\n" + "\n".join(diff),
            pytrace=False,
        )
    assert len(committed["interactions"]) == len(needs())
