"""``accord deploy render`` and ``check`` as a user runs them: real processes, temp projects.

Bad input is one line and exit 1, with nothing written (a previous render stays as it was).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT


def _accord(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shop's project file and configuration (the code is imported from the
    repository)."""
    (tmp_path / "accord.toml").write_text((ROOT / "accord.toml").read_text())
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "kubernetes.toml").write_text(
        (ROOT / "deploy" / "kubernetes.toml").read_text()
    )
    return tmp_path


def _one_line_failure(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert words in lines[0]
    assert "Traceback" not in result.stderr


def test_render_writes_a_kustomization_and_a_folder_per_service(project: Path) -> None:
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    assert result.returncode == 0, result.stderr
    out = project / "out"
    assert (out / "kustomization.yaml").is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        "identity",
        "inventory",
        "orders",
        "payments",
        "shared",
    ]
    committed = ROOT / "deploy" / "k8s"
    for path in committed.rglob("*.yaml"):
        assert (out / path.relative_to(committed)).read_text() == path.read_text(), path


def test_an_unknown_environment(project: Path) -> None:
    result = _accord(project, "deploy", "render", "--env", "qa", "--out", "out")
    _one_line_failure(result, "unknown environment 'qa' (known: dev, prod, staging)")
    assert not (project / "out").exists()


def test_a_service_without_objectives(project: Path) -> None:
    toml = project / "accord.toml"
    toml.write_text(toml.read_text().replace('slos = "shop.payments.slo:SLOS"\n', ""))
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "payments: no service-level objectives")
    assert not (project / "out").exists()


def _without_settings(project: Path, service: str) -> None:
    """The project file with no settings class for ``service``: its files are then
    checked against ``config/schemas/`` only."""
    toml = project / "accord.toml"
    line = f'settings = "shop.{service}.bootstrap:Settings"\n'
    assert line in toml.read_text()
    toml.write_text(toml.read_text().replace(line, ""))


def test_a_configuration_its_settings_refuse_leaves_the_last_render(project: Path) -> None:
    assert _accord(project, "deploy", "render", "--env", "prod", "--out", "out").returncode == 0
    before = {p: p.read_bytes() for p in (project / "out").rglob("*.yaml")}
    (project / "config" / "prod" / "orders.toml").write_text("max_in_flight = 0\n")
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "config/prod/orders.toml:1: max_in_flight: Expected int >= 1")
    assert {p: p.read_bytes() for p in (project / "out").rglob("*.yaml")} == before


def test_an_unknown_key_is_named_with_its_file_and_line(project: Path) -> None:
    base = project / "config" / "base" / "inventory.toml"
    base.write_text("max_inflight = 8\n" + base.read_text())
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "config/base/inventory.toml:1: max_inflight: unknown key")
    assert not (project / "out").exists()


def test_a_literal_secret_is_refused(project: Path) -> None:
    prod = project / "config" / "prod" / "payments.toml"
    prod.write_text('processor_key = "sk_live_123"\n' + prod.read_text())
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "config/prod/payments.toml:1: processor_key:")
    assert not (project / "out").exists()


def test_the_config_map_holds_the_files_and_a_secret_stays_a_reference(project: Path) -> None:
    base = project / "config" / "base" / "payments.toml"
    base.write_text('processor_key = "env:PAYMENTS_PROCESSOR_KEY"\n' + base.read_text())
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    assert result.returncode == 0, result.stderr
    config_map = (project / "out" / "payments" / "config-map.yaml").read_text()
    assert "base.payments.toml: |" in config_map
    assert "prod.payments.toml: |" in config_map
    assert "prod.environment.toml: |" in config_map  # the environment's own files
    assert "prod.flags.json: |" in config_map
    assert "orders.toml" not in config_map  # no other service's file
    rollout = (project / "out" / "payments" / "rollout.yaml").read_text()
    secret_variable = (
        "name: PAYMENTS_PROCESSOR_KEY\n          valueFrom:\n            secretKeyRef:"
    )
    assert secret_variable in rollout
    check = _accord(project, "deploy", "check", "--env", "prod", "--dir", "out")
    assert check.returncode == 0, check.stderr


def test_without_a_settings_class_the_exported_schema_judges(project: Path) -> None:
    _without_settings(project, "payments")
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_in_flight": {"type": "integer", "minimum": 1},
            "signing_key": {"type": "string", "x-secret": True},
        },
    }
    config = project / "config"
    (config / "schemas" / "payments.v1.json").write_text(json.dumps(schema))
    (config / "base" / "payments.toml").write_text('signing_key = "file:/run/keys/signing"\n')
    (config / "prod" / "payments.toml").write_text("max_in_flight = 512\n")
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    assert result.returncode == 0, result.stderr
    rollout = (project / "out" / "payments" / "rollout.yaml").read_text()
    assert "mountPath: /run/keys" in rollout
    assert "secretName: payments-secrets" in rollout
    for bad, words in (
        ("max_in_flight = 0\n", "payments in prod: max_in_flight: 0 is less than the minimum"),
        ('signing_key = "hunter2"\n', "signing_key is a secret and holds a value"),
        ("max_inflight = 1\n", "payments in prod: max_inflight: unknown key"),
    ):
        (config / "prod" / "payments.toml").write_text(bad)
        result = _accord(project, "deploy", "render", "--env", "prod", "--out", "elsewhere")
        _one_line_failure(result, words)
        assert not (project / "elsewhere").exists()


def test_check_names_a_drifted_file(project: Path) -> None:
    assert _accord(project, "deploy", "render", "--env", "prod", "--out", "out").returncode == 0
    rollout = project / "out" / "orders" / "rollout.yaml"
    rollout.write_text(rollout.read_text().replace("replicas: 2", "replicas: 3"))
    result = _accord(project, "deploy", "check", "--dir", "out")
    assert result.returncode == 1
    assert "out/orders/rollout.yaml: differs from the render" in result.stderr


def test_render_refuses_to_replace_a_folder_it_did_not_write(project: Path) -> None:
    (project / "out").mkdir()
    (project / "out" / "notes.txt").write_text("mine")
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "was not written by accord deploy render")
    assert (project / "out" / "notes.txt").read_text() == "mine"
