"""Setting a service's faults by writing its file (how ``accord chaos`` switches them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.config import ConfigError, Layout, load
from accord.config.edit import set_faults, set_values
from accord.runtime.faults import AbortFault, DelayFault, FaultConfig
from shop.payments.bootstrap import Settings

HEADER = "#:schema ../schemas/payments.v1.json\n# payments in dev\n"


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    (tmp_path / "base").mkdir()
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "payments.toml").write_text(HEADER + "\nmax_in_flight = 9\n")
    return Layout(tmp_path, "dev")


def test_faults_are_written_kept_with_the_other_keys_and_removed(layout: Layout) -> None:
    faults = FaultConfig(
        delay=DelayFault(seconds=0.2, percent=10.0), abort=AbortFault(status=503, percent=5.0)
    )
    path = set_faults(layout, "payments", faults, settings=Settings)
    assert path.read_text().startswith(HEADER + "\nmax_in_flight = 9\n")
    settings = load(Settings, "payments", layout, {}).settings
    assert settings.faults == faults and settings.max_in_flight == 9
    set_faults(layout, "payments", None)
    assert load(Settings, "payments", layout, {}).settings.faults is None
    assert path.read_text() == HEADER + "\nmax_in_flight = 9\n"


def test_nothing_is_written_when_the_result_would_not_validate(layout: Layout) -> None:
    path = layout.env_file("payments")
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="max_in_flight: Expected int >= 1"):
        set_values(layout, "payments", {"max_in_flight": 0}, settings=Settings)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["payments.toml"]
