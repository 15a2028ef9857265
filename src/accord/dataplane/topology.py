"""The data plane's vocabulary: which service listens where, and which versions serve it.

A :class:`Route` is one service as its callers see it: a listener on the service's
well-known port, and behind it one or more :class:`Backend` s, one per running version,
each with a weight. Envoy gets one cluster per backend (:func:`cluster_name`), so its
statistics are per version.
"""

from __future__ import annotations

import re

import msgspec

__all__ = ["Backend", "Route", "Topology", "cluster_name", "safe_version"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def safe_version(version: str) -> str:
    """``version`` with every character Envoy's stat names would split on replaced."""
    return _UNSAFE.sub("_", version)


def cluster_name(service: str, version: str) -> str:
    """The Envoy cluster of one version of a service: ``<service>--<version>``."""
    return f"{safe_version(service)}--{safe_version(version)}"


class Backend(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One running version of a service: where it listens and its share of the traffic."""

    version: str
    port: int
    weight: int = 100
    host: str = "127.0.0.1"


class Route(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A service as its callers see it: its listener and the versions behind it.

    ``preview`` (a version) gets a listener of its own on ``preview_port`` that sends
    everything to that version: blue-green checks a version there before it takes
    traffic.
    """

    service: str
    port: int
    backends: tuple[Backend, ...]
    host: str = "127.0.0.1"
    preview: str | None = None
    preview_port: int | None = None

    def cluster_of(self, backend: Backend) -> str:
        """The Envoy cluster name of one of this route's backends."""
        return cluster_name(self.service, backend.version)

    def weighted(self) -> list[tuple[str, int]]:
        """``(cluster, weight)`` for every backend with a weight above 0."""
        return [(self.cluster_of(b), b.weight) for b in self.backends if b.weight > 0]

    def with_weights(self, weights: dict[str, int]) -> Route:
        """This route with the weights of the named versions replaced."""
        backends = tuple(
            msgspec.structs.replace(b, weight=weights.get(b.version, b.weight))
            for b in self.backends
        )
        return msgspec.structs.replace(self, backends=backends)


class Topology(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every route of a running system, and whether Envoy speaks HTTP or passes TCP."""

    routes: tuple[Route, ...]
    tls_passthrough: bool = False
