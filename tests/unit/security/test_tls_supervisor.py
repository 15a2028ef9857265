"""The supervisor with TLS: https URLs, the certificate folder in every service's env."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.project import Project, ServiceSpec
from accord.security.tls import SUPERVISOR, MutualTLSTransport, ensure_certificates
from accord.supervisor import StartError, Supervisor


def project(tmp_path: Path) -> Project:
    return Project(
        root=tmp_path,
        home=tmp_path / "home",
        contracts_dir=tmp_path / "contracts",
        services={
            "inventory": ServiceSpec(app="x:y", port=18102, name="inventory"),
            "orders": ServiceSpec(app="x:y", port=18101, name="orders", depends_on=["inventory"]),
        },
    )


def test_with_tls_every_url_is_https_and_services_get_the_folder(tmp_path: Path) -> None:
    certs = tmp_path / "home" / "certs"
    sup = Supervisor(project(tmp_path), environ={}, tls_dir=certs)
    assert [s.url for s in sup.services.values()] == [
        "https://127.0.0.1:18102",
        "https://127.0.0.1:18101",
    ]
    env = sup.service_env("orders")
    assert env["ACCORD_TLS_DIR"] == str(certs)
    assert env["ACCORD_SERVICE"] == "orders"
    assert env["ACCORD_URL_INVENTORY"] == "https://127.0.0.1:18102"


def test_without_tls_nothing_changes(tmp_path: Path) -> None:
    sup = Supervisor(project(tmp_path), environ={})
    assert sup.services["orders"].url == "http://127.0.0.1:18101"
    assert "ACCORD_TLS_DIR" not in sup.service_env("orders")
    assert sup._probe("orders") is None


def test_probes_present_the_supervisor_certificate(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    sup = Supervisor(project(tmp_path), environ={}, tls_dir=certs)
    with pytest.raises(StartError, match="CA certificate"):
        sup._probe("orders")
    ensure_certificates(certs, ["orders", SUPERVISOR], trust_domain="shop.local")
    probe = sup._probe("orders")
    assert isinstance(probe, MutualTLSTransport) and probe.peer == "orders"


def test_up_reads_allow_lists_and_keeps_its_probes_allowed(tmp_path: Path) -> None:
    from accord.cli.up import allow_env, parse_allow
    from accord.project import ProjectError

    proj = project(tmp_path)
    allow = parse_allow(["inventory=orders, me", "inventory=spiffe://shop.local/x"], proj)
    assert allow == {"inventory": ["orders", "me", "spiffe://shop.local/x"]}
    assert allow_env(["orders"]) == {"ACCORD_TLS_ALLOW": "orders,accord-supervisor"}
    for bad in ("inventory", "inventory=", "nowhere=orders"):
        with pytest.raises(ProjectError, match="--tls-allow"):
            parse_allow([bad], proj)
