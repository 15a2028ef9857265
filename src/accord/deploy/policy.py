"""Our own rules over every rendered object, beyond what the schemas can say.

- every container has requests and limits (cpu and memory), a liveness and a readiness
  probe, runs as non-root on a read-only root filesystem, without privilege escalation
  and with every capability dropped;
- every image is pinned by digest (``@sha256:``): no ``latest``, no tag alone;
- no ``ConfigMap`` holds a secret: a secret-looking key must hold a reference
  (``env:NAME``, ``file:PATH``), and no value carries credentials in a URL or a key;
- a default deny, and every service has a ``NetworkPolicy`` admitting exactly the pods
  of its callers (the inverse of ``depends_on``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from accord.deploy.network import DEFAULT_DENY
from accord.deploy.objects import NAME_LABEL

__all__ = ["check"]

_POD_KINDS = {"Rollout", "Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|private|credential|api_?key|dsn)", re.I)
_REFERENCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$")
_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)
_PEM = "-----BEGIN"


def check(
    files: Mapping[str, list[dict[str, Any]]], callers: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every breach, one line each; ``callers`` is service → the services that call it."""
    problems: list[str] = []
    policies: dict[str, dict[str, Any]] = {}
    for path, objects in sorted(files.items()):
        for obj in objects:
            kind = obj.get("kind", "")
            name = (obj.get("metadata") or {}).get("name", "")
            where = f"{path}: {kind}/{name}"
            if kind in _POD_KINDS:
                problems += [f"{where}: {p}" for p in _pod(_pod_spec(obj))]
            elif kind == "ConfigMap":
                problems += [f"{where}: {p}" for p in _config_map(obj)]
            elif kind == "NetworkPolicy":
                policies[name] = obj
    problems += _network(policies, callers)
    return problems


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    pod: dict[str, Any] = (spec.get("template") or {}).get("spec") or {}
    return pod


def _pod(pod: dict[str, Any]) -> list[str]:
    problems = []
    pod_ctx = pod.get("securityContext") or {}
    init = [(c, True) for c in pod.get("initContainers", [])]
    for c, is_init in [*init, *((c, False) for c in pod.get("containers", []))]:
        who = f"container {c.get('name', '?')}"
        ctx = {**pod_ctx, **(c.get("securityContext") or {})}
        resources = c.get("resources") or {}
        for part in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(part) or {})
            if missing:
                problems.append(f"{who}: no {part} for {', '.join(sorted(missing))}")
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in c and not is_init:  # an init container runs once, unprobed
                problems.append(f"{who}: no {probe}")
        if ctx.get("runAsNonRoot") is not True or ctx.get("runAsUser") == 0:
            problems.append(f"{who}: may run as root (runAsNonRoot)")
        if ctx.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{who}: the root filesystem is writable")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{who}: privilege escalation is not disabled")
        if "ALL" not in ((ctx.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{who}: capabilities are not all dropped")
        image = str(c.get("image", ""))
        if not _DIGEST.search(image):
            problems.append(f"{who}: image {image!r} is not pinned by digest (@sha256:…)")
    return problems


def _config_map(obj: dict[str, Any]) -> list[str]:
    problems = []
    for key, text in (obj.get("data") or {}).items():
        if _URL_CREDENTIALS.search(text) or _PEM in text:
            problems.append(f"{key}: holds a credential (in a URL or a key): use a Secret")
        try:
            data = tomllib.loads(text) if key.endswith(".toml") else {}
        except tomllib.TOMLDecodeError:
            continue
        problems += [f"{key}: {p}" for p in _secret_values(data, "")]
        if not key.endswith(".toml") and _SECRET_KEY.search(key):
            problems.append(f"{key}: a secret-looking key in a ConfigMap: use a Secret")
    return problems


def _secret_values(data: dict[str, Any], prefix: str) -> list[str]:
    found = []
    for name, value in data.items():
        key = prefix + name
        if isinstance(value, dict):
            found += _secret_values(value, key + ".")
        elif (
            _SECRET_KEY.search(name)
            and isinstance(value, str)
            and value
            and not _REFERENCE.match(value)
        ):
            found.append(f"{key} holds a secret value: write env:NAME or file:PATH")
    return found


def _network(
    policies: dict[str, dict[str, Any]], callers: Mapping[str, Sequence[str]]
) -> list[str]:
    problems = []
    deny = (policies.get(DEFAULT_DENY) or {}).get("spec") or {}
    if deny.get("podSelector") != {} or set(deny.get("policyTypes", [])) != {"Ingress", "Egress"}:
        problems.append(f"no {DEFAULT_DENY} NetworkPolicy denying ingress and egress to every pod")
    for service, expected in sorted(callers.items()):
        policy = policies.get(service)
        if policy is None:
            problems.append(f"{service}: no NetworkPolicy")
            continue
        spec = policy.get("spec") or {}
        if (spec.get("podSelector") or {}).get("matchLabels") != {NAME_LABEL: service}:
            problems.append(f"{service}: its NetworkPolicy does not select its pods")
        admitted = sorted(
            peer["podSelector"].get("matchLabels", {}).get(NAME_LABEL, "*")
            for rule in spec.get("ingress", [])
            for peer in rule.get("from", [])
            if "podSelector" in peer
        )
        if admitted != sorted(expected):
            problems.append(
                f"{service}: its NetworkPolicy admits {admitted or 'no pod'}, "
                f"its callers are {sorted(expected) or 'none'}"
            )
        if any(not rule.get("from") for rule in spec.get("ingress", [])):
            problems.append(f"{service}: its NetworkPolicy admits every source on some port")
    return problems
