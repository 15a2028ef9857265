"""The settings sections the toolkit gives every service: clients' retries and breakers."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.client import DEFAULT_BREAKER, DEFAULT_RETRY, ClientCore
from accord.config import ConfigError, Layout, load
from accord.config.sections import ClientSettings
from shop.inventory.contract import Inventory
from shop.orders.bootstrap import Settings


def test_unset_figures_keep_the_client_defaults() -> None:
    assert ClientSettings().retry() == DEFAULT_RETRY
    assert ClientSettings().breaker() == DEFAULT_BREAKER
    tuned = ClientSettings(max_attempts=1, breaker_window=5, breaker_minimum_calls=5)
    assert tuned.retry().max_attempts == 1
    assert tuned.breaker().sliding_window_size == 5


def test_figures_that_make_no_policy_are_refused_with_their_file(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "orders.toml").write_text(
        "[clients]\nbackoff_base = 3.0\nbackoff_cap = 1.0\n"
    )
    with pytest.raises(ConfigError) as caught:
        load(Settings, "orders", Layout(tmp_path, "dev"), {})
    assert str(caught.value) == (
        f"{tmp_path}/dev/orders.toml:2: clients: cap (1.0) must be at least base (3.0)"
    )


@pytest.mark.anyio
async def test_a_client_takes_new_figures_while_it_lives() -> None:
    core = ClientCore(Inventory, "http://127.0.0.1:9")
    tuned = ClientSettings(max_attempts=1, breaker_window=5, breaker_minimum_calls=5)
    core.reconfigure(retry=tuned.retry(), breaker=tuned.breaker())
    assert core.retry is not None and core.retry.max_attempts == 1
    core.reconfigure(retry=None, breaker=None)
    assert core.retry is None
    await core.aclose()
