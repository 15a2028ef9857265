"""Kubernetes manifests of a project, rendered and checked offline.

- :mod:`~accord.deploy.render`: ``accord deploy render``: every object, one folder per service;
- :mod:`~accord.deploy.workload`: the Argo Rollouts ``Rollout`` (canary steps, pod hardening);
- :mod:`~accord.deploy.analysis`: the ``AnalysisTemplate``: the release analysis in PromQL;
- :mod:`~accord.release.plan`: the canary plan shared with the local rollout;
- :mod:`~accord.deploy.environment`, :mod:`~accord.deploy.configmap`: configuration files
  and secret references;
- :mod:`~accord.deploy.network`: a default deny and each service's callers;
- :mod:`~accord.deploy.monitoring`: ``ServiceMonitor`` and ``PrometheusRule``;
- :mod:`~accord.deploy.objects`: ``Service``, ``ServiceAccount``, ``PodDisruptionBudget``;
- :mod:`~accord.deploy.settings`: ``deploy/kubernetes.toml``;
- :mod:`~accord.deploy.files`: YAML out, moved into place at the end;
- :mod:`~accord.deploy.validate`, :mod:`~accord.deploy.policy`: schemas and our own rules.

See ``docs/kubernetes.md``.
"""

from __future__ import annotations

from accord.deploy.errors import RenderError
from accord.deploy.files import Manifests, texts, write
from accord.deploy.render import render
from accord.deploy.settings import PLACEHOLDER_DIGEST, DeploySettings, load_settings

__all__ = [
    "PLACEHOLDER_DIGEST",
    "DeploySettings",
    "Manifests",
    "RenderError",
    "load_settings",
    "render",
    "texts",
    "write",
]
