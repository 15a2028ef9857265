"""Rollout records as the console lists them."""

from __future__ import annotations

import json
from pathlib import Path

from accord.console.releases import read_rollouts


def test_rollout_records_are_listed_unfinished_first(tmp_path: Path) -> None:
    done = {"service": "a", "phase": "promoted", "stable": "1", "candidate": "2", "updated": 9}
    running = {"service": "b", "phase": "canary", "step": 2, "weights": {"1": 75, "2": 25}}
    (tmp_path / "a.json").write_text(json.dumps(done))
    (tmp_path / "b.json").write_text(json.dumps(running))
    (tmp_path / "c.json").write_text("{half")
    (tmp_path / "b.lock").write_text("")
    records = read_rollouts(tmp_path)
    assert [(r["service"], r["in_progress"]) for r in records] == [("b", True), ("a", False)]
    assert read_rollouts(tmp_path / "none") == []
