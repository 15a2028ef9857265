"""Envoy's configuration, generated: a bootstrap and the xDS resources of a topology.

Envoy reads its listeners (LDS) and clusters (CDS) from files it watches, and each
service's route (RDS) from a file of its own, so one service's weights change without
touching another's (docs/decisions/0010-envoy-data-plane.md). Everything here is pure:
dictionaries in Envoy's v3 JSON shape; :mod:`accord.dataplane.files` writes them.

- Plain HTTP: each listener runs the HTTP connection manager; its route sends every
  request to the service's versions by weight (one cluster per version, so statistics
  are per version). No tracer is configured and request ids are not generated: trace
  context (``traceparent``, ``tracestate``, ``baggage``) and ``x-correlation-id`` pass
  untouched. Envoy's header-to-metadata filter copies the trace id out of
  ``traceparent`` for the access log only.
- Mutual TLS (``tls_passthrough``): each listener proxies TCP to the versions by
  weight; the handshake is between the caller and the service itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.dataplane.topology import Route, Topology
from accord.observability.buckets import DURATION_BUCKETS

__all__ = [
    "ACCESS_LOG_FORMAT",
    "LATENCY_BUCKETS_MS",
    "bootstrap",
    "clusters",
    "listeners",
    "route_configuration",
]

#: Latency buckets (ms): the runtime's duration buckets, so an SLO threshold is a bound.
LATENCY_BUCKETS_MS = (*(round(b * 1000, 3) for b in DURATION_BUCKETS), 30_000.0, 60_000.0)

_T = "type.googleapis.com/envoy."
#: How long Envoy waits for a request head, as long as the runtime's own default.
HEAD_TIMEOUT = "5s"
_HCM = _T + "extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"

#: One JSON object per request in the access log.
ACCESS_LOG_FORMAT: dict[str, str] = {
    "ts": "%START_TIME%",
    "service": "%ROUTE_NAME%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "status": "%RESPONSE_CODE%",
    "flags": "%RESPONSE_FLAGS%",
    "duration_ms": "%DURATION%",
    "upstream": "%UPSTREAM_CLUSTER%",
    "upstream_host": "%UPSTREAM_HOST%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "trace_id": "%DYNAMIC_METADATA(accord:trace_id)%",
    "traceparent": "%REQ(TRACEPARENT)%",
    "correlation_id": "%RESP(X-CORRELATION-ID)%",
}

_TCP_LOG_FORMAT: dict[str, str] = {
    "ts": "%START_TIME%",
    "duration_ms": "%DURATION%",
    "upstream": "%UPSTREAM_CLUSTER%",
    "upstream_host": "%UPSTREAM_HOST%",
    "flags": "%RESPONSE_FLAGS%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
}

#: The trace id of a well-formed ``traceparent`` (W3C Trace Context: version, trace id,
#: parent id, flags); anything else becomes empty, and an empty value is not copied.
#: (Lengths are not spelled out: ``{32}`` makes the program larger than Envoy's RE2 allows.)
_TRACEPARENT = "^[0-9a-f]{2}-([0-9a-f]+)-[0-9a-f]+-[0-9a-f]{2}(?:-.*)?$|^.*$"


def _path_source(path: Path) -> dict[str, Any]:
    return {"resource_api_version": "V3", "path_config_source": {"path": str(path)}}


def _address(host: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": host, "port_value": port}}


def bootstrap(*, admin_port: int, lds: Path, cds: Path, node: str = "accord") -> dict[str, Any]:
    """Envoy's bootstrap: admin on loopback only, listeners and clusters from files."""
    return {
        "node": {"id": node, "cluster": node},
        "admin": {"address": _address("127.0.0.1", admin_port)},
        # Histograms are merged when the admin interface is read, so a reading is
        # as current as the counters beside it.
        "stats_flush_on_admin": True,
        "stats_config": {
            "histogram_bucket_settings": [
                {"match": {"safe_regex": {"regex": ".*"}}, "buckets": list(LATENCY_BUCKETS_MS)}
            ]
        },
        "dynamic_resources": {"lds_config": _path_source(lds), "cds_config": _path_source(cds)},
    }


def clusters(topology: Topology) -> list[dict[str, Any]]:
    """One cluster per version of every service (static: one loopback endpoint each)."""
    out: list[dict[str, Any]] = []
    for route in topology.routes:
        for backend in route.backends:
            name = route.cluster_of(backend)
            cluster: dict[str, Any] = {
                "@type": _T + "config.cluster.v3.Cluster",
                "name": name,
                "type": "STATIC",
                "connect_timeout": "1s",
                "load_assignment": {
                    "cluster_name": name,
                    "endpoints": [
                        {
                            "lb_endpoints": [
                                {"endpoint": {"address": _address(backend.host, backend.port)}}
                            ]
                        }
                    ],
                },
                "circuit_breakers": {
                    "thresholds": [
                        {"max_connections": 100000, "max_pending_requests": 100000,
                         "max_requests": 100000, "max_retries": 1000}
                    ]
                },
            }  # fmt: skip
            if not topology.tls_passthrough:
                # Below the services' keep-alive (uvicorn: 5 s), so Envoy never sends a
                # request on a connection the service is closing.
                cluster["typed_extension_protocol_options"] = {
                    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                        "@type": _T + "extensions.upstreams.http.v3.HttpProtocolOptions",
                        "common_http_protocol_options": {"idle_timeout": "3s"},
                        "explicit_http_config": {"http_protocol_options": {}},
                    }
                }
            out.append(cluster)
    return out


def route_configuration(route: Route, *, name: str | None = None) -> dict[str, Any]:
    """The route of one service: every request to its versions by weight."""
    weighted = route.weighted() or [(route.cluster_of(route.backends[0]), 1)]
    return {
        "@type": _T + "config.route.v3.RouteConfiguration",
        "name": name or route.service,
        "virtual_hosts": [
            {
                "name": name or route.service,
                "domains": ["*"],
                "routes": [
                    {
                        "name": route.service,
                        "match": {"prefix": "/"},
                        "route": {
                            "weighted_clusters": {
                                "clusters": [{"name": c, "weight": w} for c, w in weighted]
                            },
                            "timeout": "0s",
                            "retry_policy": {
                                "retry_on": "connect-failure,refused-stream",
                                "num_retries": 2,
                            },
                        },
                    }
                ],
            }
        ],
    }


def _access_log(path: Path, fmt: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": "envoy.access_loggers.file",
            "typed_config": {
                "@type": _T + "extensions.access_loggers.file.v3.FileAccessLog",
                "path": str(path),
                "log_format": {"json_format": fmt},
            },
        }
    ]


def _http_filters() -> list[dict[str, Any]]:
    return [
        {  # the trace id, for the access log (a native filter: no script per request)
            "name": "envoy.filters.http.header_to_metadata",
            "typed_config": {
                "@type": _T + "extensions.filters.http.header_to_metadata.v3.Config",
                "request_rules": [
                    {
                        "header": "traceparent",
                        "on_header_present": {
                            "metadata_namespace": "accord",
                            "key": "trace_id",
                            "type": "STRING",
                            "regex_value_rewrite": {
                                "pattern": {"regex": _TRACEPARENT},
                                "substitution": "\\1",
                            },
                        },
                        "remove": False,
                    }
                ],
            },
        },
        {
            "name": "envoy.filters.http.router",
            "typed_config": {
                "@type": _T + "extensions.filters.http.router.v3.Router",
                "suppress_envoy_headers": True,
            },
        },
    ]


def _http_manager(name: str, access_log: Path, routing: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": _HCM,
            "stat_prefix": name,
            **routing,
            "http_filters": _http_filters(),
            "access_log": _access_log(access_log, ACCESS_LOG_FORMAT),
            "generate_request_id": False,
            "server_header_transformation": "PASS_THROUGH",
            "stream_idle_timeout": "0s",
            # The front door bounds a request head as the services do behind it (decision
            # 0008): a slow head is cut here, counted as downstream_rq_header_timeout.
            "request_headers_timeout": HEAD_TIMEOUT,
            "common_http_protocol_options": {"idle_timeout": "60s"},
        },
    }


def _tcp_proxy(route: Route, access_log: Path) -> dict[str, Any]:
    weighted = route.weighted() or [(route.cluster_of(route.backends[0]), 1)]
    return {
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {
            "@type": _T + "extensions.filters.network.tcp_proxy.v3.TcpProxy",
            "stat_prefix": route.service,
            "weighted_clusters": {"clusters": [{"name": c, "weight": w} for c, w in weighted]},
            "access_log": _access_log(access_log, _TCP_LOG_FORMAT),
        },
    }


def _listener(name: str, host: str, port: int, network_filter: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": _T + "config.listener.v3.Listener",
        "name": name,
        "address": _address(host, port),
        "filter_chains": [{"filters": [network_filter]}],
    }


def listeners(topology: Topology, *, routes_dir: Path, access_log: Path) -> list[dict[str, Any]]:
    """A listener on every service's well-known port (and on a preview port, if any).

    Over plain HTTP a listener reads its route from ``routes_dir/<service>.json``; with
    TLS passthrough the weights are in the listener itself.
    """
    out: list[dict[str, Any]] = []
    for route in topology.routes:
        if topology.tls_passthrough:
            chain = _tcp_proxy(route, access_log)
        else:
            rds = {
                "rds": {
                    "route_config_name": route.service,
                    "config_source": _path_source(routes_dir / f"{route.service}.json"),
                }
            }
            chain = _http_manager(route.service, access_log, rds)
        out.append(_listener(route.service, route.host, route.port, chain))
        if route.preview is not None and route.preview_port is not None:
            out.append(_preview_listener(topology, route, access_log))
    return out


def _preview_listener(topology: Topology, route: Route, access_log: Path) -> dict[str, Any]:
    assert route.preview is not None and route.preview_port is not None
    only = route.with_weights({b.version: 0 for b in route.backends})
    only = only.with_weights({route.preview: 100})
    name = f"{route.service}-preview"
    if topology.tls_passthrough:
        chain = _tcp_proxy(only, access_log)
    else:
        inline = route_configuration(only, name=name)
        del inline["@type"]
        chain = _http_manager(name, access_log, {"route_config": inline})
    return _listener(name, route.host, route.preview_port, chain)
