"""The small objects every service has: ``Service``, ``ServiceAccount``,
``PodDisruptionBudget``, and the names and labels they share."""

from __future__ import annotations

from typing import Any

__all__ = [
    "NAME_LABEL",
    "labels",
    "meta",
    "pod_disruption_budget",
    "selector",
    "service",
    "service_account",
]

#: The label that names a service's pods, and selects them everywhere.
NAME_LABEL = "app.kubernetes.io/name"
_MANAGED = {"app.kubernetes.io/managed-by": "accord"}


def selector(name: str) -> dict[str, str]:
    """The labels that select ``name``'s pods."""
    return {NAME_LABEL: name}


def labels(name: str) -> dict[str, str]:
    """The labels of every object of service ``name``."""
    return {**selector(name), **_MANAGED}


def meta(name: str, with_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """``metadata`` with a name and labels."""
    out: dict[str, Any] = {"name": name}
    if with_labels:
        out["labels"] = dict(with_labels)
    return out


def service(name: str, port: int) -> dict[str, Any]:
    """The ``Service`` callers reach ``name`` through (its well-known port); Prometheus'
    ``ServiceMonitor`` finds the pods through it too (job ``name``)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, labels(name)),
        "spec": {
            "selector": selector(name),
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def service_account(name: str) -> dict[str, Any]:
    """The pods' own identity, with no API token mounted (they never call the API)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(name, labels(name)),
        "automountServiceAccountToken": False,
    }


def pod_disruption_budget(name: str, replicas: int) -> dict[str, Any]:
    """At most one pod of ``name`` down at a time for a drain (at least one up)."""
    spec: dict[str, Any] = {"selector": {"matchLabels": selector(name)}}
    if replicas > 1:
        spec["maxUnavailable"] = 1
    else:
        spec["minAvailable"] = 1
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, labels(name)),
        "spec": spec,
    }
