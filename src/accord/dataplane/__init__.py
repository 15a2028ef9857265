"""The data plane: Envoy in front of a project's services.

- :mod:`~accord.dataplane.topology`: routes, versions and their weights;
- :mod:`~accord.dataplane.config`: Envoy's bootstrap and xDS resources, generated;
- :mod:`~accord.dataplane.files`: the watched files, written atomically;
- :mod:`~accord.dataplane.process`: the Envoy process;
- :mod:`~accord.dataplane.stats`: per-version statistics from Envoy's admin interface;
- :mod:`~accord.dataplane.desired`: what a rollout asks of the running system;
- :mod:`~accord.dataplane.plane`: all of it inside ``accord up``.

Why filesystem xDS and TCP passthrough for mutual TLS:
docs/decisions/0010-envoy-data-plane.md.
"""

from __future__ import annotations

from accord.dataplane.desired import Desired, Instance, read_desired, write_desired
from accord.dataplane.files import ConfigFiles
from accord.dataplane.plane import PRIMARY_VERSION, DataPlane, pid_alive
from accord.dataplane.process import EnvoyError, EnvoyProcess, envoy_binary, free_port
from accord.dataplane.stats import VersionStats, parse_prometheus, read_stats
from accord.dataplane.topology import Backend, Route, Topology, cluster_name

__all__ = [
    "PRIMARY_VERSION",
    "Backend",
    "ConfigFiles",
    "DataPlane",
    "Desired",
    "EnvoyError",
    "EnvoyProcess",
    "Instance",
    "Route",
    "Topology",
    "VersionStats",
    "cluster_name",
    "envoy_binary",
    "free_port",
    "parse_prometheus",
    "pid_alive",
    "read_desired",
    "read_stats",
    "write_desired",
]
