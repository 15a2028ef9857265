"""A service's pods: an Argo Rollouts ``Rollout`` with the canary plan's steps.

The pod runs ``accord serve`` on the service's app factory, on its well-known port, as
a non-root user on a read-only root filesystem, with no privilege escalation and every
capability dropped; state and temporary files go to ``emptyDir`` volumes. Liveness is
``/livez``, readiness ``/readyz``; every container has requests and limits.

The canary: at each weight of the plan the rollout holds for the analysis window, then
runs the service's ``AnalysisTemplate`` (:mod:`accord.deploy.analysis`) with the
candidate's and the stable version's pod template hashes. A failed analysis aborts the
rollout (traffic back to stable); an inconclusive one pauses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.deploy.analysis import duration, template_name
from accord.deploy.configmap import (
    CONFIG_MOUNT,
    config_volume,
    database_secret,
    secret_env,
    secret_mounts,
)
from accord.deploy.environment import EnvironmentConfig
from accord.deploy.objects import labels, meta, selector
from accord.deploy.settings import DeploySettings
from accord.project import ServiceSpec
from accord.release.plan import CanaryPlan

__all__ = ["HOME_MOUNT", "RUN_AS", "canary_steps", "rollout"]

#: What a copying init container runs: the files of a Secret into the writable home.
_COPY = (
    "import shutil, sys; "
    "shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True, "
    "ignore=shutil.ignore_patterns('..*'))"
)

#: Where the service keeps its state (telemetry files) in the container.
HOME_MOUNT = "/var/lib/accord"
#: The user and group the services run as (the Containerfile's).
RUN_AS = 10001
#: Seconds a pod has to drain after SIGTERM.
GRACE_SECONDS = 30
#: Every container's security context.
_SECURITY: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": RUN_AS,
    "runAsGroup": RUN_AS,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass
class _Mounts:
    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    init: list[dict[str, Any]] = field(default_factory=list)


def _resources(settings: DeploySettings) -> dict[str, Any]:
    return {
        "requests": dict(settings.resources.requests),
        "limits": dict(settings.resources.limits),
    }


def canary_steps(service: str, plan: CanaryPlan, window_seconds: float) -> list[dict[str, Any]]:
    """Per weight: set it, hold the window, analyse (the candidate against stable)."""
    analysis = {
        "templates": [{"templateName": template_name(service)}],
        "args": [
            {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
            {"name": "stable-hash", "valueFrom": {"podTemplateHashValue": "Stable"}},
        ],
    }
    steps: list[dict[str, Any]] = []
    for weight in plan.steps:
        steps += [
            {"setWeight": weight},
            {"pause": {"duration": duration(window_seconds)}},
            {"analysis": analysis},
        ]
    return steps


def _secret_dirs(name: str, settings: DeploySettings) -> _Mounts:
    """Volumes, mounts and init containers of the Secrets ``secret_dirs`` gives ``name``:
    mounted read-only under its home, or (``copy``) copied there when the pod starts."""
    out = _Mounts()
    for index, folder in enumerate(d for d in settings.secret_dirs if name in d.services):
        volume = f"state-{index}"
        source: dict[str, Any] = {"secretName": folder.secret, "defaultMode": 0o440}
        if folder.keys:
            source["items"] = [{"key": k, "path": k} for k in folder.keys]
        out.volumes.append({"name": volume, "secret": source})
        target = f"{HOME_MOUNT}/{folder.path}"
        if not folder.copy:
            out.mounts.append({"name": volume, "mountPath": target, "readOnly": True})
            continue
        staged = f"/run/accord/{volume}"
        out.init.append(
            {
                "name": f"copy-{volume}",
                "image": settings.image_ref(name),
                "imagePullPolicy": "IfNotPresent",
                "command": ["python", "-c", _COPY, staged, target],
                "resources": _resources(settings),
                "securityContext": _SECURITY,
                "volumeMounts": [
                    {"name": volume, "mountPath": staged, "readOnly": True},
                    {"name": "state", "mountPath": HOME_MOUNT},
                ],
            }
        )
    return out


def _env(
    spec: ServiceSpec,
    env: str,
    ports: Mapping[str, int],
    config: EnvironmentConfig,
    token_issuer: str,
) -> list[dict[str, Any]]:
    name = spec.name
    variable = name.upper().replace("-", "_")
    out: list[dict[str, Any]] = [
        {"name": "ACCORD_ENV", "value": env},
        {"name": "ACCORD_CONFIG_DIR", "value": CONFIG_MOUNT},
        {"name": "ACCORD_HOME", "value": HOME_MOUNT},
        {"name": "ACCORD_SERVICE", "value": name},
        {
            "name": f"{variable}_DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": database_secret(name), "key": "url"}},
        },
    ]
    out += [
        {"name": f"ACCORD_URL_{dep.upper().replace('-', '_')}", "value": f"http://{dep}:{port}"}
        for dep, port in sorted(ports.items())
    ]
    if token_issuer:
        issuer_url = f"http://{token_issuer}:{ports[token_issuer]}"
        out.append({"name": "ACCORD_ISSUER_URL", "value": issuer_url})
    return out + secret_env(config)


def _container(
    spec: ServiceSpec,
    env: str,
    ports: Mapping[str, int],
    config: EnvironmentConfig,
    settings: DeploySettings,
    mounts: list[dict[str, Any]],
    token_issuer: str,
) -> dict[str, Any]:
    probe = {"periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3}
    return {
        "name": spec.name,
        "image": settings.image_ref(spec.name),
        "imagePullPolicy": "IfNotPresent",
        "args": ["serve", spec.app, "--host", "0.0.0.0", "--port", str(spec.port)],  # noqa: S104
        "ports": [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}],
        "env": _env(spec, env, ports, config, token_issuer),
        "livenessProbe": {"httpGet": {"path": "/livez", "port": "http"}, **probe},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, **probe},
        "resources": _resources(settings),
        "securityContext": dict(_SECURITY),
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True},
            {"name": "state", "mountPath": HOME_MOUNT},
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - an emptyDir of its own
            *mounts,
        ],
    }


def rollout(
    spec: ServiceSpec,
    env: str,
    ports: Mapping[str, int],
    config: EnvironmentConfig,
    settings: DeploySettings,
    plan: CanaryPlan,
    window_seconds: float,
    *,
    token_issuer: str = "",
) -> dict[str, Any]:
    """The service's ``Rollout`` (module docstring); ``token_issuer`` names the service
    whose URL every pod gets as ``ACCORD_ISSUER_URL`` (none when empty)."""
    name = spec.name
    volumes, mounts = secret_mounts(config)
    state = _secret_dirs(name, settings)
    volumes, mounts = volumes + state.volumes, mounts + state.mounts
    pod = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": GRACE_SECONDS,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        **({"initContainers": state.init} if state.init else {}),
        "containers": [_container(spec, env, ports, config, settings, mounts, token_issuer)],
        "volumes": [
            config_volume(config),
            {"name": "state", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            *volumes,
        ],
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": meta(name, labels(name)),
        "spec": {
            "replicas": settings.replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector(name)},
            "template": {"metadata": {"labels": labels(name)}, "spec": pod},
            "strategy": {"canary": {"steps": canary_steps(name, plan, window_seconds)}},
        },
    }
