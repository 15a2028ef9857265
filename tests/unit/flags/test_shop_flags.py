"""The shop's declared flags and its files agree, as ``accord flags check`` sees them."""

from __future__ import annotations

from accord import project
from accord.flags import check_flags
from shop.orders.flags import FLAGS
from tests.support.processes import ROOT


def test_the_project_declares_the_orders_flags() -> None:
    assert project.load(ROOT / "accord.toml").declared_flags() == list(FLAGS)


def test_every_environment_defines_every_declared_flag() -> None:
    assert [str(f) for f in check_flags(FLAGS, ROOT / "config")] == []
