"""Which objectives a canary step is judged by, and the shape of the queries."""

from __future__ import annotations

from accord.deploy.analysis import analysis_template, duration, judged_objectives
from accord.project import load
from accord.release import DEFAULT_PLAN
from accord.rollout.analysis import default_objectives, objectives_for
from accord.slo import SLI, availability
from accord.slo.registry import ServiceObjectives
from tests.support.processes import ROOT


def _service(*objectives: object) -> ServiceObjectives:
    return ServiceObjectives(
        service="svc",
        host="127.0.0.1",
        port=1,
        operations=(("GET", "/v1/things"), ("POST", "/v1/things")),
        objectives=tuple(objectives),  # type: ignore[arg-type]
    )


def test_the_canary_is_judged_by_what_the_local_rollout_judges_by() -> None:
    project = load(ROOT / "accord.toml")
    defaults = default_objectives()
    for name in project.services:
        judged = judged_objectives(project, name)
        assert judged == objectives_for(project, name, defaults)
        assert all(not o.route for o in judged)  # objectives of one operation only alert
        assert {o.sli for o in judged} == {SLI.AVAILABILITY, SLI.LATENCY}


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
