"""Least privilege at the network: a default deny, then per service exactly its callers.

``depends_on`` in ``accord.toml`` says whom each service calls; turned around, it says
who may call each service. A service's ``NetworkPolicy`` admits those callers' pods on
its port and no other pod; Prometheus (from its namespace) on the same port for
``/metrics``; and, for a service named public in ``deploy/kubernetes.toml``, the ingress
controller's namespace. Out of a pod go DNS, the services it depends on, and its
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accord.deploy.objects import NAME_LABEL, labels, meta, selector
from accord.deploy.settings import DeploySettings

__all__ = ["DEFAULT_DENY", "callers", "default_deny", "network_policy"]

#: The name of the policy that denies everything not allowed by another.
DEFAULT_DENY = "default-deny"
_NS_LABEL = "kubernetes.io/metadata.name"


def callers(depends_on: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Service → the services that call it (the inverse of ``depends_on``), sorted."""
    out: dict[str, list[str]] = {name: [] for name in depends_on}
    for caller, targets in depends_on.items():
        for target in targets:
            out.setdefault(target, []).append(caller)
    return {name: sorted(set(found)) for name, found in out.items()}


def default_deny() -> dict[str, Any]:
    """No pod of the namespace takes or sends anything unless a policy allows it."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(DEFAULT_DENY, {"app.kubernetes.io/managed-by": "accord"}),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {_NS_LABEL: name}}}


def network_policy(
    name: str,
    port: int,
    who_calls: Sequence[str],
    dependencies: Mapping[str, int],
    settings: DeploySettings,
) -> dict[str, Any]:
    """``name``'s policy: in from ``who_calls`` (and Prometheus, and the ingress when
    public) on ``port``; out to DNS, ``dependencies`` (name → port) and its database."""
    tcp = [{"protocol": "TCP", "port": port}]
    ingress: list[dict[str, Any]] = []
    if who_calls:
        peers = [{"podSelector": {"matchLabels": {NAME_LABEL: c}}} for c in who_calls]
        ingress.append({"from": peers, "ports": tcp})
    ingress.append({"from": [_namespace(settings.monitoring_namespace)], "ports": tcp})
    if name in settings.public:
        ingress.append({"from": [_namespace(settings.ingress_namespace)], "ports": tcp})
    egress: list[dict[str, Any]] = [
        {
            "to": [_namespace("kube-system")],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
    ]
    egress += [
        {
            "to": [{"podSelector": {"matchLabels": selector(dep)}}],
            "ports": [{"protocol": "TCP", "port": dep_port}],
        }
        for dep, dep_port in sorted(dependencies.items())
    ]
    egress.append({"ports": [{"protocol": "TCP", "port": settings.database_port}]})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, labels(name)),
        "spec": {
            "podSelector": {"matchLabels": selector(name)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }
