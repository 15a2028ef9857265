"""Envoy's generated configuration: what each resource says, checked on the dictionaries."""

from __future__ import annotations

from pathlib import Path

from accord.dataplane import config
from accord.dataplane.topology import Backend, Route, Topology, cluster_name


def _route(**kw: object) -> Route:
    backends = (Backend("1.2.0", 9001, 95), Backend("1.3.0", 9002, 5), Backend("old", 9003, 0))
    return Route(service="svc", port=8001, backends=backends, **kw)  # type: ignore[arg-type]


def test_cluster_names_keep_dots_out_of_stat_names() -> None:
    assert cluster_name("svc", "1.2.0+local") == "svc--1_2_0_local"


def test_the_route_weights_only_versions_with_a_share() -> None:
    doc = config.route_configuration(_route())
    route = doc["virtual_hosts"][0]["routes"][0]["route"]
    clusters = route["weighted_clusters"]["clusters"]
    assert clusters == [{"name": "svc--1_2_0", "weight": 95}, {"name": "svc--1_3_0", "weight": 5}]
    assert route["retry_policy"]["retry_on"] == "connect-failure,refused-stream"


def test_every_version_has_a_cluster_on_its_own_port() -> None:
    clusters = config.clusters(Topology(routes=(_route(),)))
    ports = {
        c["name"]: c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"][
            "socket_address"
        ]["port_value"]
        for c in clusters
    }
    assert ports == {"svc--1_2_0": 9001, "svc--1_3_0": 9002, "svc--old": 9003}


def test_http_listeners_read_their_route_from_a_file_and_pass_trace_context(tmp_path: Path) -> None:
    topology = Topology(routes=(_route(preview="1.3.0", preview_port=8999),))
    listeners = config.listeners(topology, routes_dir=tmp_path, access_log=tmp_path / "a.jsonl")
    assert [
        (item["name"], item["address"]["socket_address"]["port_value"]) for item in listeners
    ] == [
        ("svc", 8001),
        ("svc-preview", 8999),
    ]
    manager = listeners[0]["filter_chains"][0]["filters"][0]["typed_config"]
    assert manager["rds"]["config_source"]["path_config_source"]["path"] == str(
        tmp_path / "svc.json"
    )
    assert manager["generate_request_id"] is False and "tracing" not in manager
    preview = listeners[1]["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]
    only = preview["virtual_hosts"][0]["routes"][0]["route"]["weighted_clusters"]["clusters"]
    assert only == [{"name": "svc--1_3_0", "weight": 100}]


def test_tls_passthrough_proxies_tcp_by_weight(tmp_path: Path) -> None:
    topology = Topology(routes=(_route(),), tls_passthrough=True)
    listeners = config.listeners(topology, routes_dir=tmp_path, access_log=tmp_path / "a.jsonl")
    proxy = listeners[0]["filter_chains"][0]["filters"][0]
    assert proxy["name"] == "envoy.filters.network.tcp_proxy"
    assert len(proxy["typed_config"]["weighted_clusters"]["clusters"]) == 2
    assert all("typed_extension_protocol_options" not in c for c in config.clusters(topology))


def test_the_admin_interface_listens_on_loopback_only(tmp_path: Path) -> None:
    boot = config.bootstrap(admin_port=9900, lds=tmp_path / "l", cds=tmp_path / "c")
    assert boot["admin"]["address"]["socket_address"] == {
        "address": "127.0.0.1",
        "port_value": 9900,
    }
    assert boot["stats_flush_on_admin"] is True


def test_a_route_file_reads_back_as_the_weights_a_passthrough_listener_takes(
    tmp_path: Path,
) -> None:
    """With TLS passthrough the data plane copies a route file's weights (by cluster)
    into the listener: what ConfigFiles writes, it reads back."""
    from accord.dataplane.files import ConfigFiles

    files = ConfigFiles(tmp_path, tmp_path / "access.jsonl")
    files.write_route(_route())
    assert files.route_weights("svc") == {"svc--1_2_0": 95, "svc--1_3_0": 5}
    assert files.route_weights("absent") == {}
    (tmp_path / "routes" / "svc.json").write_text("{not json")
    assert files.route_weights("svc") == {}
