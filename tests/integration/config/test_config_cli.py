"""``accord config`` over a copy of the shop's configuration folder.

Every command runs as a process from the repository (its ``accord.toml``), with
``ACCORD_CONFIG_DIR`` pointing at a copy the test may break.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder, ignore=shutil.ignore_patterns("flags.json"))
    return folder


def accord(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "ORDERS_"))}
    env["ACCORD_CONFIG_DIR"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_shops_configuration_is_valid(config: Path) -> None:
    result = accord(config, "config", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: 4 service(s) in dev, prod, staging" in result.stdout


def test_validate_names_file_line_and_key_of_every_problem(config: Path) -> None:
    (config / "dev" / "orders.toml").write_text(
        '# orders in dev\n\nmax_in_flit = 5\nidempotency_retention = "a day"\n'
    )
    (config / "prod" / "payments.toml").write_text('processor_key = "sk_live_51Hx"\n')
    (config / "staging" / "inventory.toml").write_text("[observability\nlog_level = 1\n")
    (config / "dev" / "order.toml").write_text("max_in_flight = 1\n")
    (config / "base" / "identity.toml").write_text("[observability]\nlog_level = 'loud'\n")
    result = accord(config, "config", "validate")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    at = f"{config}/"
    expected = [
        f"{at}base/identity.toml:2: observability.log_level: Invalid enum value 'loud'",
        f"{at}dev/order.toml: no service named 'order' has settings",
        f"{at}dev/orders.toml:3: max_in_flit: unknown key",
        f"{at}dev/orders.toml:4: idempotency_retention: Expected float, got str",
        f"{at}prod/payments.toml:1: processor_key: a literal secret is refused",
        f"{at}staging/inventory.toml:1: TOML syntax: ",
    ]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert "sk_live_51Hx" not in result.stdout + result.stderr
    assert result.stderr.strip().endswith(f"problem(s) in {config}")


def test_an_unknown_environment_is_one_line_and_exit_1(config: Path) -> None:
    result = accord(config, "config", "validate", "--env", "qa")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"accord: {config}: unknown environment 'qa' (known: dev, prod, staging)"
    ]


def test_show_gives_each_value_its_source_and_masks_secrets(config: Path) -> None:
    (config / "dev" / "payments.toml").write_text(
        'max_in_flight = 64\nprocessor_key = "env:PAYMENTS_PROCESSOR_KEY"\n'
    )
    result = accord(config, "config", "show", "payments")
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "64" in rows["max_in_flight"] and "dev/payments.toml:1" in rows["max_in_flight"]
    assert "********" in rows["processor_key"]
    assert "base/payments.toml" in rows["idempotency_retention"]
    assert "default" in rows["database_url"]


def test_diff_lists_what_differs_per_service_and_key(config: Path) -> None:
    result = accord(config, "config", "diff", "dev", "prod")
    assert result.returncode == 0, result.stderr
    assert "orders: max_in_flight: 512 (dev) → 256 (prod)" in result.stdout.splitlines()
    assert "payments: auth.public_metadata: true (dev) → false (prod)" in result.stdout


def test_promote_writes_values_and_keeps_pinned_keys(config: Path) -> None:
    (config / "dev" / "orders.toml").write_text(
        '#:schema ../schemas/orders.v1.json\nmax_in_flight = 64\ndatabase_url = "sqlite:///dev.db"\n'
        '\n[rate_limits]\nplace_order = "5/1s"\n'
    )
    (config / "prod" / "orders.toml").write_text(
        "#:schema ../schemas/orders.v1.json\nmax_in_flight = 256\n"
        'database_url = "postgresql://orders@db/orders"\n'
    )
    result = accord(config, "config", "promote", "dev", "prod", "--service", "orders")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {config}/prod/orders.toml"
    shown = accord(config, "config", "show", "orders", "--env", "prod").stdout
    rows = {line.split("│")[1].strip(): line for line in shown.splitlines() if "│" in line}
    assert "64" in rows["max_in_flight"]
    assert "postgresql://orders@db/orders" in rows["database_url"]
    assert "5/1s" in rows["rate_limits"]
    assert accord(config, "config", "validate").returncode == 0


def test_promote_refuses_what_would_not_validate_and_writes_nothing(config: Path) -> None:
    (config / "dev" / "inventory.toml").write_text("max_in_flight = 0\n")
    before = {p: p.read_bytes() for p in (config / "prod").iterdir()}
    result = accord(config, "config", "promote", "dev", "prod")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "prod/inventory.toml:4: max_in_flight: Expected int >= 1" in result.stderr
    assert {p: p.read_bytes() for p in (config / "prod").iterdir()} == before


def test_promote_refuses_files_of_different_schema_majors(config: Path) -> None:
    (config / "dev" / "payments.toml").write_text(
        "#:schema ../schemas/payments.v2.json\nmax_in_flight = 8\n"
    )
    before = (config / "prod" / "payments.toml").read_bytes()
    result = accord(config, "config", "promote", "dev", "prod", "--service", "payments")
    assert result.returncode == 1
    assert "written for schema v2, not v1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (config / "prod" / "payments.toml").read_bytes() == before


def test_contracts_check_refuses_a_breaking_settings_change(config: Path) -> None:
    path = config / "schemas" / "orders.v1.json"
    published = json.loads(path.read_text())
    published["properties"]["legacy_mode"] = {"type": "boolean", "default": False}
    published["properties"]["max_in_flight"]["maximum"] = 10_000_000
    path.write_text(json.dumps(published, indent=2) + "\n")
    result = accord(config, "contracts", "check")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: config/")]
    assert errors == [
        "error: config/schemas/orders.v1.json: legacy_mode: removed",
        "error: config/schemas/orders.v1.json: max_in_flight: maximum narrowed to 1000000 "
        "(was 10000000)",
    ]
    assert accord(config, "config", "schemas", "--check").returncode == 1
