"""The committed Prometheus rules: up to date, valid, and alerting only when they should.

``promtool check rules`` validates every file; ``promtool test rules`` runs the unit tests
in deploy/prometheus/tests (synthetic series: a fast burn, a slow burn, a healthy service).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from accord.project import load
from accord.slo.registry import load_objectives
from accord.slo.rules import ALERT, rule_files, write
from tests.support.processes import ROOT
from tests.support.promtool import promtool

RULES = ROOT / "deploy" / "prometheus" / "rules"
UNIT_TESTS = ROOT / "deploy" / "prometheus" / "tests"


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_committed_rules_match_the_declared_objectives() -> None:
    expected = rule_files(load_objectives(load(ROOT / "accord.toml")))
    committed = {p.name: p.read_text(encoding="utf-8") for p in RULES.glob("*.yml")}
    assert committed == expected, "run `accord slo rules --out deploy/prometheus/rules`"


def test_every_alert_is_a_burn_of_an_objective_in_the_workbook_windows() -> None:
    for path in RULES.glob("*.yml"):
        groups = yaml.safe_load(path.read_text())["groups"]
        alerts = [r for g in groups for r in g["rules"] if "alert" in r]
        assert alerts, path
        assert {a["alert"] for a in alerts} == {ALERT}
        per_slo: dict[str, set[tuple[str, str]]] = {}
        for alert in alerts:
            labels = alert["labels"]
            per_slo.setdefault(labels["slo"], set()).add((labels["severity"], labels["window"]))
            assert "slo:sli_error:ratio_rate" in alert["expr"]
            assert "process_" not in alert["expr"]  # no CPU or memory: burn only
        for windows in per_slo.values():
            assert windows == {("page", "1h/5m"), ("page", "6h/30m"), ("ticket", "3d/6h")}


def test_the_factors_are_the_workbook_s() -> None:
    text = (RULES / "orders.rules.yml").read_text()
    assert '> (14.4 * 0.001) and slo:sli_error:ratio_rate5m{service="orders"' in text
    assert '> (6 * 0.001) and slo:sli_error:ratio_rate30m{service="orders"' in text
    assert '> (1 * 0.001) and slo:sli_error:ratio_rate6h{service="orders"' in text


def test_promtool_accepts_the_committed_rules() -> None:
    files = sorted(RULES.glob("*.yml"))
    result = _promtool("check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_promtool_unit_tests_fire_on_burn_and_stay_quiet_when_healthy() -> None:
    files = sorted(UNIT_TESTS.glob("*.test.yml"))
    assert files
    result = _promtool("test", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_sees_a_wrong_expectation(tmp_path: Path) -> None:
    # The unit tests can fail: a healthy expectation against a burning series does.
    (tmp_path / "rules").mkdir()
    write(load_objectives(load(ROOT / "accord.toml"), "orders"), tmp_path / "rules")
    source = (UNIT_TESTS / "orders.test.yml").read_text()
    broken = source.replace("values: '0+1x480'", "values: '0+40x480'")
    assert broken != source
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "orders.test.yml").write_text(broken)
    result = _promtool("test", "rules", tmp_path / "tests" / "orders.test.yml")
    assert result.returncode == 1
    assert 'severity="page", slo="availability", window="6h/30m"' in result.stdout + result.stderr


def test_the_cli_writes_the_rules_and_checks_them(tmp_path: Path) -> None:
    def accord(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "accord", "slo", "rules", "--out", str(tmp_path), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    wrote = accord()
    assert wrote.returncode == 0, wrote.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in RULES.iterdir())
    assert accord("--check").stdout.strip() == f"up to date: 4 rule file(s) in {tmp_path}"
    (tmp_path / "orders.rules.yml").write_text("groups: []\n")
    (tmp_path / "gone.rules.yml").write_text("groups: []\n")
    stale = accord("--check")
    assert stale.returncode == 1
    assert stale.stdout.splitlines() == [
        f"differs: {tmp_path / 'orders.rules.yml'}",
        f"not generated: {tmp_path / 'gone.rules.yml'}",
    ]
    assert stale.stderr.strip() == "accord: 2 rule file(s) out of date; run `accord slo rules`"
