"""The committed prod manifests: what the code renders, valid against Kubernetes and the
CRDs (strict), and within our policy."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from accord.deploy import PLACEHOLDER_DIGEST, RenderError, render, texts
from accord.deploy.analysis import judged_objectives
from accord.deploy.check import DEFAULT_DIR, check
from accord.deploy.files import load_folder
from accord.deploy.network import callers
from accord.deploy.policy import check as policy
from accord.deploy.validate import KUBERNETES_VERSION, parse, validate
from accord.project import load
from accord.release import DEFAULT_PLAN
from accord.slo.registry import load_objectives
from tests.support.processes import ROOT

PROJECT = load(ROOT / "accord.toml")
CALLERS = callers({n: s.depends_on for n, s in PROJECT.services.items()})


@pytest.fixture(scope="module")
def committed() -> dict[str, list[dict[str, Any]]]:
    return parse(load_folder(ROOT / DEFAULT_DIR))


def _objects(files: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for objs in files.values() for o in objs if o["kind"] == kind}


def test_the_committed_manifests_are_the_render_of_prod() -> None:
    assert check(PROJECT, "prod", ROOT / DEFAULT_DIR) == [], (
        "run `accord deploy render --env prod --out deploy/k8s`"
    )


def test_a_pinned_kubernetes_of_1_30_or_later() -> None:
    major, minor, _ = (int(p) for p in KUBERNETES_VERSION.split("."))
    assert (major, minor) >= (1, 30)


def test_every_object_validates_strictly(committed: dict[str, list[dict[str, Any]]]) -> None:
    kinds = {o["kind"] for objs in committed.values() for o in objs}
    assert {"Rollout", "AnalysisTemplate", "PrometheusRule", "ServiceMonitor"} <= kinds
    assert {"Service", "ServiceAccount", "ConfigMap", "NetworkPolicy"} <= kinds
    assert {"PodDisruptionBudget", "Namespace", "Kustomization"} <= kinds
    assert validate(committed) == []


def test_an_unknown_field_fails_for_built_in_kinds_and_custom_resources(
    committed: dict[str, list[dict[str, Any]]],
) -> None:
    broken = copy.deepcopy(committed)
    broken["orders/service.yaml"][0]["spec"]["colour"] = "blue"
    rollout = broken["orders/rollout.yaml"][0]
    rollout["spec"]["template"]["spec"]["containers"][0]["securityContext"]["rootless"] = True
    broken["orders/monitoring.yaml"][0]["spec"]["endpoints"][0]["scrapeEvery"] = "1s"
    broken["orders/analysis-template.yaml"][0]["spec"]["metrics"][0]["provider"]["prom"] = {}
    broken["orders/kustomization.yaml"][0]["resources"].append("missing.yaml")
    problems = validate(broken)
    assert len(problems) == 5, problems
    assert any("Service/orders: spec" in p and "colour" in p for p in problems)
    assert any("Rollout/orders" in p and "rootless" in p for p in problems)
    assert any("ServiceMonitor/orders" in p and "scrapeEvery" in p for p in problems)
    assert any("AnalysisTemplate/orders-canary" in p and "prom" in p for p in problems)
    assert any("missing.yaml does not exist" in p for p in problems)


def test_the_policy_holds(committed: dict[str, list[dict[str, Any]]]) -> None:
    assert policy(committed, CALLERS) == []


def test_every_service_admits_exactly_its_callers(
    committed: dict[str, list[dict[str, Any]]],
) -> None:
    policies = _objects(committed, "NetworkPolicy")
    assert CALLERS == {
        "identity": ["inventory", "orders", "payments"],
        "inventory": ["orders"],
        "payments": ["orders"],
        "orders": [],
    }
    for service, expected in CALLERS.items():
        admitted = sorted(
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in policies[service]["spec"]["ingress"]
            for peer in rule["from"]
            if "podSelector" in peer
        )
        assert admitted == expected, service
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }


def test_images_by_the_placeholder_digest_only(committed: dict[str, list[dict[str, Any]]]) -> None:
    for rollout in _objects(committed, "Rollout").values():
        (container,) = rollout["spec"]["template"]["spec"]["containers"]
        assert container["image"].endswith("@" + PLACEHOLDER_DIGEST)


def test_the_database_url_comes_from_a_secret(committed: dict[str, list[dict[str, Any]]]) -> None:
    for name, rollout in _objects(committed, "Rollout").items():
        (container,) = rollout["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        ref = env[f"{name.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"{name}-database", "key": "url"}


def test_the_canary_steps_and_thresholds_come_from_the_plan_and_the_objectives(
    committed: dict[str, list[dict[str, Any]]],
) -> None:
    templates = _objects(committed, "AnalysisTemplate")
    for service in load_objectives(PROJECT):
        rollout = _objects(committed, "Rollout")[service.service]
        steps = rollout["spec"]["strategy"]["canary"]["steps"]
        assert [s["setWeight"] for s in steps if "setWeight" in s] == list(DEFAULT_PLAN.steps)
        assert sum("analysis" in s for s in steps) == len(DEFAULT_PLAN.steps)
        metrics = {m["name"]: m for m in templates[f"{service.service}-canary"]["spec"]["metrics"]}
        judged = judged_objectives(PROJECT, service.service)
        assert len(metrics) == 2 * len(judged)
        for objective in judged:
            slo = metrics[f"{objective.name}-slo"]
            assert slo["successCondition"] == f"result[0] >= {objective.target:.10g}"
            query = slo["provider"]["prometheus"]["query"]
            assert f">= {DEFAULT_PLAN.min_requests})" in query
            stable = metrics[f"{objective.name}-stable"]
            floor = -DEFAULT_PLAN.stable_margin * objective.budget
            assert stable["failureCondition"] == f"result[0] < {floor:.10g}"


def test_a_digest_replaces_the_placeholder_of_every_service_or_of_one() -> None:
    common, own = "sha256:" + "ab" * 32, "sha256:" + "cd" * 32
    rendered = texts(render(PROJECT, "prod", digests={"": common}))
    assert f"@{common}" in rendered["orders/rollout.yaml"]
    assert PLACEHOLDER_DIGEST not in "".join(rendered.values())
    rendered = texts(render(PROJECT, "prod", digests={"orders": own}))
    assert f"@{own}" in rendered["orders/rollout.yaml"]
    assert f"@{PLACEHOLDER_DIGEST}" in rendered["payments/rollout.yaml"]


@pytest.mark.parametrize(
    ("digests", "words"),
    [
        ({"": "latest"}, "'latest' is not an image digest"),
        ({"": "sha256:" + "A" * 64}, "is not an image digest"),
        ({"billing": "sha256:" + "0" * 64}, "a digest for unknown services: billing"),
    ],
)
def test_a_bad_digest_is_refused(digests: dict[str, str], words: str) -> None:
    with pytest.raises(RenderError, match=words):
        render(PROJECT, "prod", digests=digests)


def test_shared_state_comes_from_a_secret_copied_or_mounted_read_only(
    committed: dict[str, list[dict[str, Any]]],
) -> None:
    rollouts = _objects(committed, "Rollout")
    identity = rollouts["identity"]["spec"]["template"]["spec"]
    (init,) = identity["initContainers"]
    assert init["command"][-2:] == ["/run/accord/state-0", "/var/lib/accord/identity"]
    volumes = {v["name"]: v for v in identity["volumes"]}
    assert volumes["state-0"]["secret"]["secretName"] == "identity-state"
    assert volumes["state-0"]["secret"]["items"] == [
        {"key": "signing-keys.json", "path": "signing-keys.json"}
    ]
    # No shared secrets: identity holds its clients' public keys only...
    assert volumes["state-1"]["secret"]["secretName"] == "client-public-keys"
    public = [item["key"] for item in volumes["state-1"]["secret"]["items"]]
    assert public and all(key.endswith(".jwks.json") for key in public)
    # ...and orders its own private key, which no other pod mounts.
    orders = rollouts["orders"]["spec"]["template"]["spec"]
    (mount,) = [m for m in orders["containers"][0]["volumeMounts"] if m["name"] == "state-0"]
    assert mount == {
        "name": "state-0",
        "mountPath": "/var/lib/accord/client-keys",
        "readOnly": True,
    }
    secret = {v["name"]: v for v in orders["volumes"]}["state-0"]["secret"]
    assert secret["items"] == [{"key": "orders.key", "path": "orders.key"}]
    for name, rollout in rollouts.items():
        pod = json.dumps(rollout["spec"]["template"]["spec"])
        assert "clients.json" not in pod
        assert ("orders-client-key" in pod) == (name == "orders")
    assert "initContainers" not in rollouts["payments"]["spec"]["template"]["spec"]


def test_every_pod_knows_identity_by_the_url_identity_names_itself_by(
    committed: dict[str, list[dict[str, Any]]],
) -> None:
    urls = set()
    for rollout in _objects(committed, "Rollout").values():
        (container,) = rollout["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        urls.add(env["ACCORD_ISSUER_URL"])
    assert urls == {"http://identity:8104"}  # identity's own pod included: its issuer
