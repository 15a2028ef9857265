"""Rollout records and configuration lines as the console lists them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from accord.console.releases import configuration_row, read_rollouts


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


def test_a_configuration_line_says_what_the_admin_endpoint_answered() -> None:
    report = {"env": "dev", "schema_version": "1.1.0", "hash": "ab12", "generation": 3}
    ok = configuration_row("a", httpx.Response(200, json={**report, "values": {"x": 1}}))
    assert ok == {"service": "a", "state": "ok", "applied_at": None, **report}
    refused = configuration_row("a", httpx.Response(403, json={"code": "forbidden"}))
    assert refused["state"] == "needs a token with the admin scope"
    assert configuration_row("a", httpx.Response(404))["state"] == "not served (404)"
    assert configuration_row("a", None)["state"] == "down"
