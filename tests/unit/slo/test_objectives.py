"""Declaring objectives, reading them from accord.toml, and counting them from metrics."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from accord.observability.metrics import Metrics
from accord.project import load
from accord.slo import SLI, Counts, SLOError, availability, latency
from accord.slo.registry import ServiceObjectives, load_objectives
from accord.slo.scrape import counts_from_exposition
from accord.slo.status import statuses
from tests.integration.slo.service import Echo


def test_defaults_and_names() -> None:
    a = availability(0.999)
    assert (a.name, a.sli, a.window, a.scope) == (
        "availability",
        SLI.AVAILABILITY,
        datetime.timedelta(days=28),
        "service",
    )
    assert a.budget == pytest.approx(0.001)
    op = latency(0.25, 0.99, operation=Echo.answer, window=datetime.timedelta(days=7))
    assert (op.name, op.method, op.route, op.threshold) == (
        "answer-latency",
        "POST",
        "/v1/answer",
        0.25,
    )
    assert op.describe() == "99% of answers within 250 ms over 7d (POST /v1/answer)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: availability(1.0), "target 1.0 is not within"),
        (lambda: availability(0.0), "target 0.0 is not within"),
        (lambda: latency(0.3, 0.99), "0.3s is not a histogram bound"),
        (lambda: availability(0.9, operation="POST /x"), "is not a contract operation"),
        (lambda: availability(0.9, window=datetime.timedelta(0)), "window must be positive"),
    ],
)
def test_wrong_declarations_are_refused(make: object, message: str) -> None:
    with pytest.raises(SLOError, match=message):
        make()  # type: ignore[operator]


def _project(tmp_path: Path, slos: str) -> Path:
    path = tmp_path / "accord.toml"
    path.write_text(
        "[services.echo]\n"
        'app = "tests.integration.slo.service:factory"\n'
        'contracts = ["tests.integration.slo.service:Echo"]\n'
        f'slos = "{slos}"\nport = 9\n'
    )
    return path


def test_the_registry_reads_the_declared_objectives(tmp_path: Path) -> None:
    (service,) = load_objectives(load(_project(tmp_path, "tests.integration.slo.service:SLOS")))
    assert service.service == "echo"
    assert service.routes == ("/v1/answer", "/v1/ping")
    assert [o.name for o in service.objectives] == ["availability", "answer-latency"]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("tests.integration.slo.service:nothing", "has no attribute 'nothing'"),
        (
            "tests.integration.slo.service:Echo",
            "slos must be a (non-empty )?sequence of objectives",
        ),
    ],
)
def test_the_registry_refuses_what_is_not_objectives(
    tmp_path: Path, ref: str, message: str
) -> None:
    with pytest.raises(SLOError, match=message):
        load_objectives(load(_project(tmp_path, ref)))


def test_counts_come_from_the_runtime_s_own_histogram() -> None:
    metrics = Metrics(process=False)
    for _ in range(7):
        metrics.observe_server("POST", "/v1/answer", 200, 0.01)
    metrics.observe_server("POST", "/v1/answer", 500, 0.01)
    metrics.observe_server("POST", "/v1/answer", 404, 3.0)
    metrics.observe_server("POST", "/v1/ping", 503, 0.01)
    metrics.observe_server("GET", "unmatched", 500, 0.01)
    metrics.observe_server("GET", "/metrics", 200, 0.01)
    service = ServiceObjectives(
        service="echo",
        host="127.0.0.1",
        port=9,
        operations=(("POST", "/v1/answer"), ("POST", "/v1/ping")),
        objectives=(availability(0.9), latency(2.5, 0.9, operation=Echo.answer)),
    )
    counts = counts_from_exposition(metrics.render().decode(), service)
    assert (counts["availability"].requests, counts["availability"].server_errors) == (10, 2)
    op = counts["answer-latency"]
    assert op.requests == 9
    assert op.within(2.5) == 8

    (avail, lat) = statuses(service, counts)
    assert avail.sli == pytest.approx(0.8)
    assert avail.burn_rate == pytest.approx(2.0)
    assert avail.budget_left == pytest.approx(-1.0)
    assert (lat.bad, lat.burn_over) == (1, "since start")

    earlier = {
        "availability": Counts(requests=5, server_errors=2),
        "answer-latency": Counts(requests=4, buckets=((2.5, 4),)),
    }
    (avail, _) = statuses(service, counts, earlier, interval=10)
    assert avail.burn_rate == pytest.approx(0.0)  # no 5xx among the last five
    assert avail.burn_over == "last 10s"


def test_unreadable_metrics_are_one_error() -> None:
    service = ServiceObjectives(
        service="echo", host="h", port=1, operations=(), objectives=(availability(0.9),)
    )
    with pytest.raises(SLOError, match="echo: unreadable metrics"):
        counts_from_exposition("this is { not metrics", service)
