"""Which objectives a canary step is judged by, and the shape of the queries."""

from __future__ import annotations

from accord.deploy.analysis import analysis_template, duration, judged_objectives
from accord.release import DEFAULT_PLAN
from accord.slo import SLI, availability, latency
from accord.slo.registry import ServiceObjectives


def _service(*objectives: object) -> ServiceObjectives:
    return ServiceObjectives(
        service="svc",
        host="127.0.0.1",
        port=1,
        operations=(("GET", "/v1/things"), ("POST", "/v1/things")),
        objectives=tuple(objectives),  # type: ignore[arg-type]
    )


def test_service_wide_objectives_are_judged_and_a_default_fills_a_missing_sli() -> None:
    own = latency(0.1, 0.95)
    judged = judged_objectives(_service(own))
    assert judged[0] == own
    assert len(judged) == 2
    (default,) = [o for o in judged if o.sli is SLI.AVAILABILITY]
    assert (default.name, default.target) == ("availability", 0.99)


def test_objectives_of_one_operation_are_left_to_the_alerts() -> None:
    class Op:
        method, path, name = "POST", "/v1/things", "make_thing"

    service = _service(availability(0.999), latency(0.5, 0.99, operation=Op()))
    judged = judged_objectives(service)
    assert [o.name for o in judged] == ["availability", "latency"]
    assert all(not o.route for o in judged)


def test_each_objective_has_an_slo_and_a_stable_metric_over_the_window() -> None:
    service = _service(availability(0.999))
    template = analysis_template(service, service.objectives, DEFAULT_PLAN, 120, "http://p")
    names = [m["name"] for m in template["spec"]["metrics"]]
    assert names == ["availability-slo", "availability-stable"]
    query = template["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    assert "[2m]" in query
    assert 'rollouts_pod_template_hash="{{args.canary-hash}}"' in query
    assert 'http_route=~"/v1/things"' in query
    assert duration(30) == "30s" and duration(3600) == "1h" and duration(90) == "90s"
