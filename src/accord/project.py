"""The project file, ``accord.toml``: the services of a system and their contracts.

::

    [project]
    name = "shop"               # default: the folder's name; names the trust domain
    home = ".accord"            # state: databases, telemetry, pid files
    contracts_dir = "contracts"
    demo = "shop.demo:run"      # what `accord demo` runs against the services
    chaos = "shop.chaos:ShopScenario"     # what `accord chaos` puts under load and faults
    flags = ["shop.orders.flags:FLAGS"]   # the feature flags the code declares
    trust_domain = "shop.local" # default: <name>.local (SPIFFE ids of `accord certs`)
    token_issuer = "identity"   # the service whose tokens the others check

    [services.orders]
    app = "shop.orders.bootstrap:create_app"     # a factory returning an accord App
    contracts = ["shop.orders.contract:Orders"]
    settings = "shop.orders.bootstrap:Settings"  # its settings (config/<env>/orders.toml)
    port = 8101
    depends_on = ["inventory", "payments"]
    slos = "shop.orders.slo:SLOS"                # its service-level objectives (accord.slo)

Read once, by :func:`load`; every command takes the resulting :class:`Project`.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from accord.errors import AccordError

__all__ = ["Project", "ProjectError", "ServiceSpec", "find", "import_object", "load"]

FILENAME = "accord.toml"
#: The trust domain of a project that names none and has no name.
DEFAULT_TRUST_DOMAIN = "accord.local"


class ProjectError(AccordError):
    """The project file is missing or wrong."""


class ServiceSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One service of the project."""

    app: str
    contracts: list[str] = []
    #: ``module:Class``: the service's settings (``accord config``, ``docs/configuration.md``).
    settings: str = ""
    port: int = 0
    host: str = "127.0.0.1"
    depends_on: list[str] = []
    slos: str = ""
    #: Proxies whose ``X-Forwarded-For`` the service believes (``accord serve
    #: --forwarded-allow-ips``); none by default.
    forwarded_allow_ips: list[str] = []
    name: str = ""
    #: Requests (``"GET /path"``) a new version must answer without a 5xx before it
    #: takes traffic (``accord rollout --strategy blue-green``).
    smoke: list[str] = []
    #: Reached by customers: over mutual TLS it also admits callers with no certificate
    #: (their tokens still decide); other services admit only certificates.
    public: bool = False


class _ProjectSection(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str = ""
    trust_domain: str = ""
    token_issuer: str = ""
    home: str = ".accord"
    contracts_dir: str = "contracts"
    demo: str = ""
    chaos: str = ""
    flags: list[str] = []


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    project: _ProjectSection = _ProjectSection()
    services: dict[str, ServiceSpec] = {}


class Project(msgspec.Struct, frozen=True):
    """A loaded ``accord.toml``: paths are absolute."""

    root: Path
    home: Path
    contracts_dir: Path
    services: dict[str, ServiceSpec]
    demo: str = ""
    #: ``module:factory``: the project's chaos scenario (:mod:`accord.chaos.scenario`).
    chaos: str = ""
    flags: tuple[str, ...] = ()
    #: The project's name (``[project] name``, else its folder's name).
    name: str = ""
    #: The SPIFFE trust domain of the services' certificates (``[project] trust_domain``,
    #: else ``<name>.local``).
    trust_domain: str = DEFAULT_TRUST_DOMAIN
    #: The service that issues the tokens the others check (``[project] token_issuer``;
    #: empty: none). ``accord up`` and the rendered manifests give every service its
    #: URL as ``ACCORD_ISSUER_URL``.
    token_issuer: str = ""

    def declared_flags(self) -> list[Any]:
        """Every feature flag the project declares: the lists ``[project] flags`` names
        (``module:attribute`` each, as ``accord flags check`` reads them)."""
        return [flag for ref in self.flags for flag in import_object(ref)]

    def contract_classes(self) -> list[Any]:
        """Every contract class the services declare, in file order."""
        out: list[Any] = []
        for spec in self.services.values():
            out.extend(import_object(ref) for ref in spec.contracts)
        return out

    def start_order(self) -> list[str]:
        """Service names with every dependency before its dependents."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str, stack: tuple[str, ...]) -> None:
            if name in seen:
                return
            if name in stack:
                raise ProjectError(f"dependency cycle: {' -> '.join((*stack, name))}")
            if name not in self.services:
                raise ProjectError(f"{stack[-1]} depends on unknown service {name!r}")
            for dep in self.services[name].depends_on:
                visit(dep, (*stack, name))
            seen.add(name)
            order.append(name)

        for name in self.services:
            visit(name, ())
        return order


def find(start: Path | None = None) -> Path:
    """The nearest ``accord.toml`` at or above ``start`` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / FILENAME).is_file():
            return folder / FILENAME
    raise ProjectError(f"no {FILENAME} in {here} or any parent folder")


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Project:
    """Read and check a project file; ``$ACCORD_HOME`` overrides ``[project] home``."""
    path = path or find()
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        data = msgspec.convert(raw, _File)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ProjectError(f"{path}: {exc}") from None
    root = path.parent.resolve()
    services = {n: msgspec.structs.replace(s, name=n) for n, s in data.services.items()}
    section = data.project
    issuer = section.token_issuer
    if issuer and issuer not in services:
        raise ProjectError(f"{path}: token_issuer names unknown service {issuer!r}")
    name = section.name or root.name
    return Project(
        root=root,
        home=(root / (env.get("ACCORD_HOME") or data.project.home)).resolve(),
        contracts_dir=(root / data.project.contracts_dir).resolve(),
        services=services,
        demo=data.project.demo,
        chaos=data.project.chaos,
        flags=tuple(data.project.flags),
        name=name,
        trust_domain=_trust_domain(path, section.trust_domain or _slug(name) + ".local"),
        token_issuer=issuer,
    )


def _slug(name: str) -> str:
    """``name`` as a DNS label: lowercase, runs of other characters as one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "accord"


def _trust_domain(path: Path, domain: str) -> str:
    # Here, not at the top: the SPIFFE module loads cryptography, which most commands
    # reading accord.toml never need.
    from accord.security.spiffe import InvalidSpiffeId, check_trust_domain

    try:
        return check_trust_domain(domain)
    except InvalidSpiffeId as exc:
        raise ProjectError(f"{path}: trust_domain: {exc}") from None


def import_object(ref: str) -> Any:
    """Import ``package.module:attribute``."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not attr:
        raise ProjectError(f"{ref!r} is not of the form 'module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProjectError(f"cannot import {module_name}: {exc}") from None
    try:
        obj = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise ProjectError(f"{module_name} has no attribute {attr!r}") from None
    return obj
