"""``accord deploy render``: a project, one environment, as Kubernetes manifests.

From ``accord.toml`` (services, ports, ``depends_on``), the contracts and objectives
(``slos``), the environment's configuration files and ``deploy/kubernetes.toml``::

    kustomization.yaml            kubectl apply -k DIR
    shared/                       the namespace (restricted pod security), the default deny
    <service>/                    Rollout, AnalysisTemplate, Service, ServiceAccount,
                                  ConfigMap, NetworkPolicy, PodDisruptionBudget,
                                  PrometheusRule, ServiceMonitor

Every input is read and checked before anything is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from accord.deploy import environment
from accord.deploy.analysis import analysis_template, judged_objectives
from accord.deploy.configmap import config_map
from accord.deploy.errors import RenderError
from accord.deploy.files import Manifests
from accord.deploy.monitoring import SCRAPE_INTERVAL_SECONDS, prometheus_rule, service_monitor
from accord.deploy.network import callers, default_deny, network_policy
from accord.deploy.objects import pod_disruption_budget, service, service_account
from accord.deploy.settings import DeploySettings, check_digest, load_settings
from accord.deploy.workload import rollout
from accord.project import Project, ProjectError, import_object
from accord.release.plan import DEFAULT_PLAN, CanaryPlan
from accord.slo.objectives import SLOError
from accord.slo.registry import ServiceObjectives, load_objectives

__all__ = ["render"]


def render(
    project: Project,
    env: str,
    *,
    settings: DeploySettings | None = None,
    plan: CanaryPlan = DEFAULT_PLAN,
    digests: Mapping[str, str] | None = None,
) -> Manifests:
    """Every manifest of ``project`` in ``env``; :class:`RenderError` on bad input.

    ``digests`` replaces the image's digest: of every service (key ``""``) or of the
    services it names.
    """
    settings = settings if settings is not None else load_settings(project.root)
    if digests:
        settings = _with_digests(settings, digests, project)
    known = environment.environments(project.root)
    if env not in known:
        raise RenderError(f"unknown environment {env!r} (known: {', '.join(known)})")
    objectives = _objectives(project)
    try:
        order = project.start_order()
    except ProjectError as exc:
        raise RenderError(str(exc)) from None
    named = set(settings.public) | {s for d in settings.secret_dirs for s in d.services}
    unknown = sorted(named - set(project.services))
    if unknown:
        raise RenderError(f"deploy/kubernetes.toml names unknown services: {', '.join(unknown)}")
    who_calls = callers({n: s.depends_on for n, s in project.services.items()})
    # Every service's URL, as the supervisor gives each process (a service names its own
    # as its tokens' issuer); the network policies still let it reach only its dependencies.
    ports = {n: s.port for n, s in project.services.items()}
    window = plan.window(datetime.timedelta(seconds=SCRAPE_INTERVAL_SECONDS)).total_seconds()
    manifests: Manifests = {
        "shared/namespace.yaml": [_namespace(settings.namespace)],
        "shared/network-policy.yaml": [default_deny()],
    }
    for name in order:
        spec = project.services[name]
        if not spec.port:
            raise RenderError(f"service {name} has no port (set it in accord.toml)")
        config = environment.read(
            project.root, name, env, list(project.services), _settings(spec.settings)
        )
        deps = {d: project.services[d].port for d in spec.depends_on}
        found = {
            f"{name}/rollout.yaml": [
                rollout(
                    spec,
                    env,
                    ports,
                    config,
                    settings,
                    plan,
                    window,
                    token_issuer=project.token_issuer,
                )
            ],
            f"{name}/analysis-template.yaml": [
                analysis_template(
                    objectives[name],
                    judged_objectives(project, name),
                    plan,
                    window,
                    settings.prometheus_url,
                )
            ],
            f"{name}/service.yaml": [service(name, spec.port), service_account(name)],
            f"{name}/config-map.yaml": [config_map(config)],
            f"{name}/network-policy.yaml": [
                network_policy(name, spec.port, who_calls.get(name, []), deps, settings)
            ],
            f"{name}/pod-disruption-budget.yaml": [pod_disruption_budget(name, settings.replicas)],
            f"{name}/monitoring.yaml": [
                service_monitor(name, settings.metrics_token_secret),
                prometheus_rule(objectives[name]),
            ],
        }
        manifests.update(found)
    return _with_kustomizations(manifests, settings.namespace, order)


def _settings(reference: str) -> Any:
    """The settings class ``accord.toml`` names for a service (None when it names none)."""
    if not reference:
        return None
    try:
        return import_object(reference)
    except ProjectError as exc:
        raise RenderError(str(exc)) from None


def _objectives(project: Project) -> dict[str, ServiceObjectives]:
    try:
        found = {o.service: o for o in load_objectives(project)}
    except SLOError as exc:
        raise RenderError(str(exc)) from None
    missing = [name for name in project.services if name not in found]
    if missing:
        raise RenderError(
            f"{', '.join(missing)}: no service-level objectives (slos = ... in accord.toml); "
            "the canary analysis judges by them"
        )
    return found


def _with_digests(
    settings: DeploySettings, digests: Mapping[str, str], project: Project
) -> DeploySettings:
    import msgspec

    unknown = sorted(set(digests) - {"", *project.services})
    if unknown:
        raise RenderError(f"a digest for unknown services: {', '.join(unknown)}")
    common = check_digest(digests.get("", settings.digest))
    own = {**settings.digests, **{s: check_digest(d) for s, d in digests.items() if s}}
    return msgspec.structs.replace(settings, digest=common, digests=own)


def _namespace(name: str) -> dict[str, Any]:
    enforce = {
        f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn", "audit")
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**enforce, "app.kubernetes.io/managed-by": "accord"}},
    }


def _with_kustomizations(manifests: Manifests, namespace: str, order: list[str]) -> Manifests:
    folders: dict[str, list[str]] = {}
    for path in manifests:
        folder, _, file = path.partition("/")
        folders.setdefault(folder, []).append(file)
    out: Manifests = dict(manifests)
    for folder, files in folders.items():
        out[f"{folder}/kustomization.yaml"] = [_kustomization(sorted(files))]
    top = _kustomization(["shared", *order])
    top["namespace"] = namespace
    out["kustomization.yaml"] = [top]
    return out


def _kustomization(resources: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
