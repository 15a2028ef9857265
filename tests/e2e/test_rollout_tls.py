"""End to end: ``accord rollout`` on a shop that runs over mutual TLS.

Envoy passes TLS through and counts no requests, so a rollout judges each version from
its own ``/metrics`` (scraped with the supervisor's certificate), and the services close
a kept-alive connection after its first response past a second, so Envoy weighs the
callers' connections again (docs/decisions/0018-encrypted-by-default.md). The customers'
load keeps one client with keep-alive, as a browser would: the candidate still gets its
share. Nothing here asserts a speed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.rollouts import FAST, Shop, bad_canary, blue_green, good_canary, running_shop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with running_shop(tmp_path_factory, tls=True) as shop:
        yield shop


def test_the_system_runs_tls_passthrough(shop: Shop) -> None:
    run = shop.run_file()
    assert run["dataplane"]["tls_passthrough"] is True
    with shop.client("orders") as http:
        r = http.get(shop.url("orders") + "/v1/orders?limit=1", headers=shop.auth)
    assert r.status_code == 200, r.text


def test_a_good_canary_is_promoted_over_tls(shop: Shop) -> None:
    result = good_canary(shop, "good-t1")
    # judged from the versions' own metrics: the candidate answered at every step
    assert all(s["candidate"]["requests"] > 0 for s in result["steps"]), result["steps"]


def test_a_bad_canary_is_rolled_back_over_tls(shop: Shop) -> None:
    bad_canary(shop, "bad-t1", *FAST)


def test_blue_green_over_tls_smokes_through_the_preview_and_rolls_back(shop: Shop) -> None:
    blue_green(shop, "green-t1")
