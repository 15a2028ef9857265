"""What Prometheus needs of a service: the ``ServiceMonitor`` that scrapes ``/metrics``
and the ``PrometheusRule`` with its SLO recording rules and burn-rate alerts.

The rules are the ones ``accord slo rules`` writes (:func:`accord.slo.rules.render`),
wrapped for the Prometheus operator. The scrape job is the service's name, as those
rules expect, and every series carries the pod's ``rollouts_pod_template_hash``, which
the canary analysis uses to tell the versions apart.
"""

from __future__ import annotations

from typing import Any

import yaml

from accord.deploy.analysis import HASH_LABEL
from accord.deploy.objects import labels, meta, selector
from accord.slo import rules
from accord.slo.registry import ServiceObjectives

__all__ = ["SCRAPE_INTERVAL_SECONDS", "prometheus_rule", "service_monitor"]

#: How often Prometheus scrapes each pod.
SCRAPE_INTERVAL_SECONDS = 15


def service_monitor(name: str, token_secret: str = "") -> dict[str, Any]:
    """Scrape ``/metrics`` of every pod behind the service ``name`` (job ``name``); with
    ``token_secret``, as the bearer of the token under its key ``token`` (for services
    whose metrics are not public)."""
    endpoint: dict[str, Any] = {
        "port": "http",
        "path": "/metrics",
        "interval": f"{SCRAPE_INTERVAL_SECONDS}s",
        "relabelings": [
            {
                "action": "replace",
                "sourceLabels": [f"__meta_kubernetes_pod_label_{HASH_LABEL}"],
                "targetLabel": HASH_LABEL,
            }
        ],
    }
    if token_secret:
        endpoint["authorization"] = {
            "type": "Bearer",
            "credentials": {"name": token_secret, "key": "token"},
        }
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta(name, labels(name)),
        "spec": {
            "selector": {"matchLabels": selector(name)},
            "endpoints": [endpoint],
        },
    }


def prometheus_rule(objectives: ServiceObjectives) -> dict[str, Any]:
    """The service's SLO rules and alerts, as ``accord slo rules`` renders them."""
    groups = yaml.safe_load(rules.render(objectives))["groups"]
    name = objectives.service
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": meta(f"{name}-slo", labels(name)),
        "spec": {"groups": groups},
    }
