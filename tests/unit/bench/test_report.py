"""Medians, ratios to FastAPI, targets and the results document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.harness import report
from bench.harness.wrk import WrkResult


def result(rps: float, p50: float = 1.0, p99: float = 5.0, non_2xx: int = 0) -> WrkResult:
    return WrkResult(rps, p50, p99, requests=int(rps), non_2xx=non_2xx, socket_errors=0)


RAW = {
    "fastapi": {
        "ping": [result(10_000), result(11_000), result(9_000)],
        "order": [result(6_000, 9.0, 20.0), result(5_000, 10.0, 30.0), result(7_000, 8.0, 90.0)],
    },
    "accord_sampled": {
        "ping": [result(20_000)],
        "order": [result(13_000, 4.0, 8.0)],
    },
    "accord_traced_all": {
        "ping": [result(8_000)],
        "order": [result(5_400, p99=400.0, non_2xx=3)],
    },
}


def test_medians_of_rounds_and_ratio_to_fastapi() -> None:
    figures = report.summarize(RAW)
    order = figures["fastapi"]["order"]
    assert (order.rps, order.p50_ms, order.p99_ms) == (6_000, 9.0, 30.0)
    assert order.ratio_vs_fastapi == 1.0
    assert figures["accord_sampled"]["order"].ratio_vs_fastapi == pytest.approx(13 / 6)
    assert figures["accord_sampled"]["ping"].ratio_vs_fastapi == pytest.approx(2.0)
    assert figures["accord_traced_all"]["order"].non_2xx == 3


def test_targets_pass_fail_and_unmeasured() -> None:
    figures = report.summarize(RAW)
    assert report.target_lines(figures) == [
        "accord_sampled order ratio ≥ 2.5: FAIL (2.17)",
        "accord_traced_all order ratio ≥ 1.8: FAIL (0.90)",
    ]
    alone = report.summarize({"fastapi": RAW["fastapi"]})
    assert report.target_lines(alone)[0].endswith(": not measured")


def test_results_document_has_the_agreed_shape(tmp_path: Path) -> None:
    figures = report.summarize(RAW)
    path = tmp_path / "out" / "http.json"
    report.write_json(path, report.to_json(figures, {"date": "2026-11-26"}))
    doc = json.loads(path.read_text())
    assert set(doc) == {"variants", "meta"}
    assert list(doc["variants"]) == ["accord_sampled", "accord_traced_all", "fastapi"]
    for by_endpoint in doc["variants"].values():
        assert set(by_endpoint) == {"ping", "order"}
        for values in by_endpoint.values():
            assert set(values) == {"rps", "p50_ms", "p99_ms", "ratio_vs_fastapi"}
            assert all(isinstance(v, float) for v in values.values())
    assert doc["meta"] == {"date": "2026-11-26"}
