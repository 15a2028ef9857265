"""A service's configuration in the cluster: its files in a ``ConfigMap``, its secrets
as references to ``Secret``s, never their values.

The files land where the service reads them (``$ACCORD_CONFIG_DIR``, with
``$ACCORD_ENV`` naming the environment), mounted read-only; a changed ``ConfigMap``
reaches the running pods as the files' change, which a service applies live where the
setting is reloadable. A secret reference ``env:NAME`` becomes the variable ``NAME``
from the key ``NAME`` of the ``<service>-secrets`` Secret; ``file:PATH`` mounts that
Secret's key (the file's name) at ``PATH``. The database URL comes from the key ``url``
of the ``<service>-database`` Secret: PostgreSQL per service.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from accord.deploy.environment import EnvironmentConfig
from accord.deploy.objects import labels, meta

__all__ = [
    "CONFIG_MOUNT",
    "config_map",
    "config_name",
    "config_volume",
    "database_secret",
    "secret_env",
    "secret_mounts",
    "secrets_name",
]

#: Where the configuration files are mounted in the container.
CONFIG_MOUNT = "/etc/accord/config"
_KEY = re.compile(r"[^-._a-zA-Z0-9]")


def config_name(service: str) -> str:
    """The ``ConfigMap``'s name."""
    return f"{service}-config"


def secrets_name(service: str) -> str:
    """The ``Secret`` the service's secret references read (created by the operator)."""
    return f"{service}-secrets"


def database_secret(service: str) -> str:
    """The ``Secret`` whose key ``url`` is the service's PostgreSQL URL."""
    return f"{service}-database"


def _key(relative: str) -> str:
    """A ConfigMap key for a file's path under the configuration folder."""
    return _KEY.sub("_", relative.replace("/", "."))


def config_map(config: EnvironmentConfig) -> dict[str, Any]:
    """The ``ConfigMap`` holding the service's files of the environment, as written."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(config_name(config.service), labels(config.service)),
        "data": {_key(relative): text for relative, text in config.files.items()},
    }


def config_volume(config: EnvironmentConfig) -> dict[str, Any]:
    """The volume that lays the files out as the service expects them."""
    items = [{"key": _key(relative), "path": relative} for relative in config.files]
    volume: dict[str, Any] = {"name": "config", "configMap": {"name": config_name(config.service)}}
    if items:
        volume["configMap"]["items"] = items
    return volume


def secret_env(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """Variables for the ``env:NAME`` references, each from the service's Secret."""
    names = sorted({ref.target for ref in config.secrets if ref.kind == "env"})
    return [
        {
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": secrets_name(config.service), "key": name}},
        }
        for name in names
    ]


def secret_mounts(config: EnvironmentConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Volumes and mounts for the ``file:PATH`` references (one per folder)."""
    folders: dict[str, list[str]] = {}
    for ref in config.secrets:
        if ref.kind == "file":
            path = posixpath.normpath(ref.target)
            folders.setdefault(posixpath.dirname(path) or ".", []).append(posixpath.basename(path))
    volumes, mounts = [], []
    for index, (folder, names) in enumerate(sorted(folders.items())):
        volume = f"secret-files-{index}"
        items = [{"key": _key(n), "path": n} for n in sorted(set(names))]
        volumes.append(
            {"name": volume, "secret": {"secretName": secrets_name(config.service), "items": items}}
        )
        mounts.append({"name": volume, "mountPath": folder, "readOnly": True})
    return volumes, mounts
