"""How a project is deployed to Kubernetes: ``deploy/kubernetes.toml``, all of it optional.

::

    namespace = "shop"                          # every object lives in it
    image = "registry.example.com/shop/app"     # one image for every service, by digest
    digest = "sha256:0000…"                     # the placeholder the pipeline replaces
    digests = { orders = "sha256:1a2b…" }       # a service released from another build
    public = ["orders"]                         # services callers outside reach (ingress)
    ingress_namespace = "ingress-nginx"         # where that ingress controller runs
    monitoring_namespace = "monitoring"         # where Prometheus runs (scrapes /metrics)
    prometheus_url = "http://prometheus-operated.monitoring.svc:9090"
    metrics_token_secret = "metrics-reader"     # Secret (key "token") Prometheus scrapes with
    replicas = 2
    database_port = 5432                        # egress to each service's PostgreSQL

    [[secret_dirs]]                             # a Secret as a folder of files
    secret = "issuer-state"                     # under the home of the services named
    path = "issuer"                             # ($ACCORD_HOME/issuer/), every key a file
    services = ["issuer"]
    keys = []                                   # only these keys (empty: all)
    copy = true                                 # copied at start into a writable folder

    [resources]                                 # every container's requests and limits
    requests = { cpu = "100m", memory = "128Mi" }
    limits = { cpu = "1", memory = "512Mi" }
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from accord.deploy.errors import RenderError

__all__ = [
    "PLACEHOLDER_DIGEST",
    "SETTINGS_FILE",
    "DeploySettings",
    "Resources",
    "SecretDir",
    "load_settings",
]

#: Where the settings are, under the project's folder.
SETTINGS_FILE = Path("deploy/kubernetes.toml")
#: The digest rendered until a pipeline fills in the one it built.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64


class Resources(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Requests and limits of every service's container."""

    requests: dict[str, str] = msgspec.field(
        default_factory=lambda: {"cpu": "100m", "memory": "128Mi"}
    )
    limits: dict[str, str] = msgspec.field(default_factory=lambda: {"cpu": "1", "memory": "512Mi"})


class SecretDir(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A Secret as the folder ``path`` under the services' home: state a service reads
    from files that several pods (or services) must share. Mounted read-only, or with
    ``copy`` copied there by an init container when the pod starts, for a service that
    also writes beside those files (locks, files it adds)."""

    secret: str
    path: str
    services: list[str]
    keys: list[str] = []
    copy: bool = False


class DeploySettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What ``deploy/kubernetes.toml`` says (see the module docstring)."""

    namespace: str = "default"
    image: str = "registry.invalid/accord/app"
    digest: str = PLACEHOLDER_DIGEST
    digests: dict[str, str] = {}
    public: list[str] = []
    ingress_namespace: str = "ingress-nginx"
    monitoring_namespace: str = "monitoring"
    prometheus_url: str = "http://prometheus-operated.monitoring.svc:9090"
    metrics_token_secret: str = ""
    replicas: int = 2
    database_port: int = 5432
    resources: Resources = msgspec.field(default_factory=Resources)
    secret_dirs: list[SecretDir] = []

    def image_ref(self, service: str) -> str:
        """``<image>@<digest>`` of ``service`` (its own digest, else the common one)."""
        return f"{self.image}@{self.digests.get(service, self.digest)}"


def load_settings(root: Path) -> DeploySettings:
    """The project's settings (defaults when the file is missing); :class:`RenderError`."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        return DeploySettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        settings = msgspec.convert(data, DeploySettings)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise RenderError(f"{SETTINGS_FILE}: {exc}") from None
    if ":" in settings.image.rsplit("/", 1)[-1]:
        raise RenderError(f"{SETTINGS_FILE}: image must not carry a tag ({settings.image})")
    for digest in (settings.digest, *settings.digests.values()):
        check_digest(digest)
    for folder in settings.secret_dirs:
        parts = folder.path.split("/")
        if folder.path.startswith("/") or not folder.path or ".." in parts:
            raise RenderError(f"{SETTINGS_FILE}: secret_dirs path {folder.path!r} must be relative")
    return settings


def check_digest(digest: str) -> str:
    """``digest`` when it is ``sha256:`` and 64 hex digits; :class:`RenderError` else."""
    head, _, hexa = digest.partition(":")
    if head != "sha256" or len(hexa) != 64 or any(c not in "0123456789abcdef" for c in hexa):
        raise RenderError(f"{digest!r} is not an image digest (sha256: and 64 hex digits)")
    return digest
