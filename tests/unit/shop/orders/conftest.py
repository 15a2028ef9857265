"""What orders' unit tests share: a hand-moved clock, the fake store, stock and payments."""

from __future__ import annotations

import pytest

from tests.unit.shop.orders.fakes import Clock, FakePayments, FakeStock, FakeStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def stock() -> FakeStock:
    return FakeStock({"MUG": (10, 1250)})


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()
