"""``accord certs init|issue|rotate``, run as real processes in a project of their own."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from accord.security import CertStore, check_peer

ROOT = Path(__file__).resolve().parents[3]

PROJECT = """
[project]
name = "shop"  # the trust domain: shop.local
home = "state"

[services.orders]
app = "nowhere:create_app"

[services.payments]
app = "nowhere:create_app"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "accord.toml").write_text(PROJECT, encoding="utf-8")
    return tmp_path


def accord(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ACCORD_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "accord", "certs", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("accord: ")
    return lines[0]


def test_init_writes_the_ca_under_the_project_home(folder: Path) -> None:
    result = accord(folder, "init", "--trust-domain", "test.local")
    assert result.returncode == 0, result.stderr
    certs = folder / "state" / "certs"
    assert mode(certs / "ca.key") == 0o600
    ca = x509.load_pem_x509_certificate((certs / "ca.crt").read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert 360 <= (ca.not_valid_after_utc - ca.not_valid_before_utc).days <= 366
    assert "test.local" in result.stdout


def test_init_refuses_to_overwrite_without_force(folder: Path) -> None:
    assert accord(folder, "init").returncode == 0
    before = (folder / "state" / "certs" / "ca.crt").read_bytes()
    assert "--force" in one_line_error(accord(folder, "init"))
    assert (folder / "state" / "certs" / "ca.crt").read_bytes() == before
    assert accord(folder, "init", "--force").returncode == 0
    assert (folder / "state" / "certs" / "ca.crt").read_bytes() != before


def test_issue_before_init_is_a_one_line_error(folder: Path) -> None:
    assert "accord certs init" in one_line_error(accord(folder, "issue", "orders"))
    assert not (folder / "state" / "certs" / "orders.crt").exists()


def test_issue_writes_a_leaf_the_peer_check_accepts(folder: Path) -> None:
    assert accord(folder, "init").returncode == 0
    result = accord(folder, "issue", "orders", "--days", "7")
    assert result.returncode == 0, result.stderr
    assert "spiffe://shop.local/orders" in result.stdout
    store = CertStore(folder / "state" / "certs")
    assert mode(store.key_path("orders")) == 0o600
    leaf = store.load_leaf("orders")
    assert str(check_peer(leaf.cert, trust_domain="shop.local", expected="orders")) == (
        "spiffe://shop.local/orders"
    )
    ca = store.load_ca()
    leaf.cert.verify_directly_issued_by(ca.cert)
    assert (leaf.cert.not_valid_after_utc - leaf.cert.not_valid_before_utc).days == 7
    san = leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = leaf.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {
        x509.ExtendedKeyUsageOID.SERVER_AUTH,
        x509.ExtendedKeyUsageOID.CLIENT_AUTH,
    }
    assert not leaf.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_issue_all_covers_every_service(folder: Path) -> None:
    assert accord(folder, "init").returncode == 0
    result = accord(folder, "issue", "--all")
    assert result.returncode == 0, result.stderr
    certs = folder / "state" / "certs"
    for name in ("orders", "payments"):
        assert (certs / f"{name}.crt").is_file()
        assert mode(certs / f"{name}.key") == 0o600
    assert not list(certs.glob("*.tmp")) and not list(certs.glob(".*"))


@pytest.mark.parametrize(
    "args",
    [("issue",), ("issue", "orders", "--all"), ("issue", "shipping"), ("rotate", "orders")],
)
def test_bad_requests_are_one_line_errors(folder: Path, args: tuple[str, ...]) -> None:
    assert accord(folder, "init").returncode == 0
    one_line_error(accord(folder, *args))


def test_rotate_replaces_the_pair(folder: Path) -> None:
    assert accord(folder, "init").returncode == 0
    assert accord(folder, "issue", "--all").returncode == 0
    store = CertStore(folder / "state" / "certs")
    old = store.load_leaf("orders")
    result = accord(folder, "rotate", "orders")
    assert result.returncode == 0, result.stderr
    new = store.load_leaf("orders")
    assert new.cert.serial_number != old.cert.serial_number
    assert new.spiffe_id == old.spiffe_id
    assert mode(store.key_path("orders")) == 0o600


def test_dir_overrides_the_project_home(folder: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert accord(folder, "init", "--dir", str(elsewhere)).returncode == 0
    assert accord(folder, "issue", "payments", "--dir", str(elsewhere)).returncode == 0
    assert (elsewhere / "payments.crt").is_file()
    assert not (folder / "state" / "certs").exists()


def test_a_bad_trust_domain_is_refused(folder: Path) -> None:
    assert "trust domain" in one_line_error(accord(folder, "init", "--trust-domain", "Bad Domain"))
