"""The cluster's canary analysis computes what the local one does.

The ``AnalysisTemplate``'s PromQL (orders': its service-wide availability objective and
the local rollout's default latency one) is evaluated by ``promtool test rules`` on synthetic
counters of a candidate and a stable version; the values it must produce are computed
with :mod:`accord.slo.sli` from the same counts, and the outcome Argo Rollouts would
reach with the template's conditions is the verdict :func:`accord.release.analyse` gives.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.deploy.analysis import analysis_template, judged_objectives
from accord.project import load
from accord.release import DEFAULT_PLAN, Verdict, analyse
from accord.slo import Counts, Objective, sli
from accord.slo.registry import ServiceObjectives, load_objectives
from tests.support.processes import ROOT
from tests.support.promtool import promtool

WINDOW = 60.0  # the step's window; samples every 15 s, so 4 increments per window
ROUTE = {"http_request_method": "POST", "http_route": "/v2/orders"}


@pytest.fixture(scope="module")
def orders() -> ServiceObjectives:
    (found,) = load_objectives(load(ROOT / "accord.toml"), "orders")
    return found


def _series(side: str, good: int, bad: int, slow: int) -> list[dict[str, str]]:
    """Counters of one side, per 15 s: ``good`` 201s (``slow`` of them over 0.5 s, the
    others within 0.1 s), ``bad`` 503s (fast), all on ``POST /v2/orders``."""
    base = f'job="orders",rollouts_pod_template_hash="{side}",http_request_method="POST",'
    base += 'http_route="/v2/orders"'
    out = []
    for status, step, fast in (("201", good, good - slow), ("503", bad, bad)):
        labels = f'{base},http_response_status_code="{status}"'
        name = "http_server_request_duration_seconds"
        out.append({"series": f"{name}_count{{{labels}}}", "values": f"0+{step}x40"})
        for le in ("0.1", "0.25", "0.5"):
            series = f'{name}_bucket{{{labels},le="{le}"}}'
            out.append({"series": series, "values": f"0+{fast}x40"})
    return out


def _counts(good: int, bad: int, slow: int) -> Counts:
    n = 4  # increments in the window
    fast = (good - slow + bad) * n
    return Counts(
        requests=(good + bad) * n,
        server_errors=bad * n,
        buckets=((0.1, fast), (0.25, fast), (0.5, fast), (float("inf"), (good + bad) * n)),
    )


def _argo(value: float, metric: dict[str, Any]) -> str:
    """What Argo Rollouts concludes of a measurement from the metric's conditions."""

    def holds(condition: str) -> bool:
        expression = condition.replace("result[0]", repr(value)).replace("&&", "and")
        assert re.fullmatch(r"[-0-9.e ><=and]+", expression), expression
        return bool(eval(expression))  # numbers and comparisons only (checked above)

    if holds(metric["failureCondition"]):
        return "failed"
    return "successful" if holds(metric["successCondition"]) else "inconclusive"


def _expected(objectives: tuple[Objective, ...], c: Counts, s: Counts) -> dict[str, float]:
    """Each metric's value, from the counts (what the queries must answer)."""
    n = DEFAULT_PLAN.min_requests
    values: dict[str, float] = {}
    for objective in objectives:
        ours = objective.route in ("", "/v2/orders") and objective.method in ("", "POST")
        candidate = sli(objective, c) if ours else None
        stable = sli(objective, s) if ours else None
        if c.requests < n:
            values[f"{objective.name}-slo"] = -1.0
        else:
            values[f"{objective.name}-slo"] = 1.0 if candidate is None else candidate
        both = c.requests >= n and s.requests >= n and candidate is not None
        values[f"{objective.name}-stable"] = candidate - stable if both and stable else 0.0
    return values


CASES = {
    "healthy": ((40, 0, 0), (40, 0, 0), Verdict.PASS),
    "a fifth of answers 5xx": ((32, 8, 0), (40, 0, 0), Verdict.FAIL),
    "slow": ((40, 0, 10), (40, 0, 0), Verdict.FAIL),
    "too few requests": ((5, 0, 0), (40, 0, 0), Verdict.NOT_ENOUGH_DATA),
    "within the SLO, worse than stable": ((3997, 3, 0), (4000, 0, 0), Verdict.FAIL),
    "stable too quiet to compare": ((4000, 0, 0), (5, 0, 0), Verdict.PASS),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_queries_and_conditions_reach_the_local_verdict(
    case: str, orders: ServiceObjectives, tmp_path: Path
) -> None:
    candidate, stable, verdict = CASES[case]
    c, s = _counts(*candidate), _counts(*stable)
    judged = judged_objectives(load(ROOT / "accord.toml"), "orders")
    assert {o.name for o in judged} == {"availability", "latency"}  # a default latency
    local = analyse(
        c,
        s,
        judged,
        min_requests=DEFAULT_PLAN.min_requests,
        stable_margin=DEFAULT_PLAN.stable_margin,
    )
    assert local.verdict is verdict, local.reason

    template = analysis_template(orders, judged, DEFAULT_PLAN, WINDOW, "http://prometheus")
    metrics = {m["name"]: m for m in template["spec"]["metrics"]}
    expected = _expected(judged, c, s)
    assert set(expected) == set(metrics)
    tests = [
        {
            "expr": metrics[name]["provider"]["prometheus"]["query"]
            .replace("{{args.canary-hash}}", "c")
            .replace("{{args.stable-hash}}", "s"),
            "eval_time": "5m",
            "exp_samples": [{"labels": "{}", "value": value}],
        }
        for name, value in expected.items()
    ]
    (tmp_path / "empty.rules.yml").write_text("groups: []\n")
    spec = {
        "rule_files": ["empty.rules.yml"],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": _series("c", *candidate) + _series("s", *stable),
                "promql_expr_test": tests,
            }
        ],
    }
    (tmp_path / "analysis.test.yml").write_text(yaml.safe_dump(spec, width=1 << 30))
    result = subprocess.run(
        [promtool(), "test", "rules", "analysis.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    outcomes = {_argo(expected[name], metric) for name, metric in metrics.items()}
    argo = (
        Verdict.FAIL
        if "failed" in outcomes
        else Verdict.NOT_ENOUGH_DATA
        if "inconclusive" in outcomes
        else Verdict.PASS
    )
    assert argo is verdict
