"""The engine's report: figures of any scenario, their verdicts, the JSON and the table."""

from __future__ import annotations

import json

from rich.console import Console

from accord.chaos import MAX_AMPLIFICATION, ChaosReport, Figure, held_to_zero
from accord.chaos.report import percentile, standard_figures


def standard(attempts: float = 100.0) -> dict[str, Figure]:
    return standard_figures(
        attempts=attempts,
        calls=100.0,
        breaker_opened=1,
        latencies=[(0.0, 10.0), (5.0, 90.0), (6.0, 30.0)],
        under_fault=lambda start: 4.0 <= start <= 5.5,
        restarts=2,
        faults_injected=7,
        settle_seconds=1.234,
        events=["a is ready again (pid 1)"],
        fault_changes=[{"service": "a", "on": True, "pid_before": 1, "pid_after": 1}],
    )


def test_a_scenarios_figures_are_held_to_their_promises() -> None:
    figures = [
        Figure("counted", "things counted", 12),
        held_to_zero("lost", "things lost", 2, "{n} thing(s) lost"),
        Figure("slow", "slow answers", 3, "< 1", False),  # a verdict, not a promise
        *standard(attempts=130.0).values(),
    ]
    report = ChaosReport(5, 10.0, figures)
    assert report.failures() == [
        "2 thing(s) lost",
        f"retry amplification 1.30 > {MAX_AMPLIFICATION}",
    ]
    assert report["lost"] == 2
    assert ChaosReport(5, 10.0, [*standard().values()]).failures() == []


def test_the_standard_figures_a_scenario_did_not_place_come_last() -> None:
    engine = standard()
    report = ChaosReport.of(5, 10.0, [Figure("mine", "mine", 1), engine["restarts"]], engine)
    keys = [f.key for f in report.figures]
    assert keys[:2] == ["mine", "restarts"]
    assert sorted(keys[2:]) == sorted(k for k in engine if k != "restarts")


def test_the_json_has_every_keyed_figure_and_the_table_every_labelled_one() -> None:
    figures = [
        Figure("hidden", "", [1, 2]),
        Figure("", "only shown", "a / b"),
        *standard().values(),
    ]
    report = ChaosReport(5, 10.0, figures)
    data = json.loads(report.to_json())
    assert data["seed"] == 5 and data["duration_s"] == 10.0
    assert data["hidden"] == [1, 2] and "" not in data
    assert data["p99_ms"] == 90.0 and data["p99_ms_under_fault"] == 90.0
    assert data["requests_sent"] == 3 and data["settle_seconds"] == 1.23
    assert data["fault_changes"][0]["pid_after"] == 1
    console = Console(width=120, record=True)
    console.print(report.table())
    text = console.export_text()
    assert "chaos run (seed 5, 10 s)" in text
    assert "only shown" in text and "a / b" in text and "hidden" not in text
    assert "retry amplification" in text and "ok" in text


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 99) is None
    assert percentile([5.0], 99) == 5.0
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 99) == 99.0
    assert percentile(values, 50) == 50.0
    assert percentile(values, 100) == 100.0
