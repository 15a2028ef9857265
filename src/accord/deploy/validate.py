"""Rendered manifests against the schemas, offline.

- Built-in kinds against the Kubernetes OpenAPI schemas of one pinned version
  (:data:`KUBERNETES_VERSION`), strict: a field Kubernetes does not know fails. The
  schemas come from the ``kubernetes-validate`` package (the development lock has it).
- ``Rollout``, ``AnalysisTemplate``, ``PrometheusRule`` and ``ServiceMonitor`` against the
  ``openAPIV3Schema`` of their CRDs (copied under ``schemas/``), made as strict: an object
  schema with properties admits no others unless it says
  ``x-kubernetes-preserve-unknown-fields`` (what the API server's strict field validation
  does).
- ``kustomization.yaml`` files: each resource they list exists.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from accord.deploy.errors import RenderError

__all__ = ["CRDS", "KUBERNETES_VERSION", "SCHEMAS", "parse", "validate"]

#: The Kubernetes version the built-in kinds are checked against.
KUBERNETES_VERSION = "1.32.0"
#: Where the CRDs are.
SCHEMAS = Path(__file__).parent / "schemas"
#: (apiVersion, kind) → the CRD file under :data:`SCHEMAS`.
CRDS = {
    ("argoproj.io/v1alpha1", "Rollout"): "argo-rollouts/rollout-crd.yaml",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "argo-rollouts/analysis-template-crd.yaml",
    ("monitoring.coreos.com/v1", "PrometheusRule"): (
        "prometheus-operator/monitoring.coreos.com_prometheusrules.yaml"
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): (
        "prometheus-operator/monitoring.coreos.com_servicemonitors.yaml"
    ),
}
_KUSTOMIZATION = "Kustomization"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(texts: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Relative path → the objects of that file."""
    return {
        path: [o for o in yaml.load_all(text, Loader=_LOADER) if o] for path, text in texts.items()
    }


def validate(files: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """Every problem, one line each (``path: Kind/name: where: message``); empty when valid."""
    problems: list[str] = []
    for path, objects in sorted(files.items()):
        for obj in objects:
            kind = obj.get("kind", "?")
            name = (obj.get("metadata") or {}).get("name", "")
            where = f"{path}: {kind}/{name}" if name else f"{path}: {kind}"
            if kind == _KUSTOMIZATION:
                problems += [f"{where}: {p}" for p in _kustomization(path, obj, files)]
                continue
            problems += [f"{where}: {p}" for p in _one(obj)]
    return problems


def _one(obj: dict[str, Any]) -> list[str]:
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    if key in CRDS:
        validator = _crd_validator(CRDS[key], key[0].rsplit("/", 1)[-1])
        return [_line(e) for e in sorted(validator.iter_errors(obj), key=str)]
    kubernetes_validate = _kubernetes_validate()
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [_line(exc)]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for {key[1]} {key[0]} in Kubernetes {KUBERNETES_VERSION}"]
    return []


def _line(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path) or "(top)"
    return f"{path}: {error.message[:300]}"


def _kubernetes_validate() -> Any:
    try:
        import kubernetes_validate  # type: ignore[import-untyped]
    except ImportError:
        raise RenderError(
            "kubernetes-validate is not installed: it comes with the development lock "
            "(make install-dev)"
        ) from None
    return kubernetes_validate


@functools.cache
def _crd_validator(relative: str, version: str) -> jsonschema.protocols.Validator:
    crd = yaml.load((SCHEMAS / relative).read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
    for served in crd["spec"]["versions"]:
        if served["name"] == version:
            schema = _strict(served["schema"]["openAPIV3Schema"])
            return jsonschema.Draft7Validator(schema)
    raise RenderError(f"{relative} has no version {version}")


def _strict(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` where an object lists its fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _kustomization(
    path: str, obj: dict[str, Any], files: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    folder = path.rpartition("/")[0]
    problems = []
    for resource in obj.get("resources", []):
        target = f"{folder}/{resource}" if folder else resource
        if target not in files and f"{target}/kustomization.yaml" not in files:
            problems.append(f"resources: {resource} does not exist")
    return problems
