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


def test_a_configuration_that_fails_its_schema_leaves_the_last_render(project: Path) -> None:
    assert _accord(project, "deploy", "render", "--env", "prod", "--out", "out").returncode == 0
    before = {p: p.read_bytes() for p in (project / "out").rglob("*.yaml")}
    config = project / "config"
    for folder in ("base", "prod", "schemas"):
        (config / folder).mkdir(parents=True, exist_ok=True)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {"max_in_flight": {"type": "integer", "minimum": 1}},
    }
    (config / "schemas" / "orders.v1.json").write_text(json.dumps(schema))
    (config / "base" / "orders.toml").write_text("max_in_flight = 64\n")
    (config / "prod" / "orders.toml").write_text("max_in_flight = 0\n")
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "orders in prod: max_in_flight: 0 is less than the minimum of 1")
    assert {p: p.read_bytes() for p in (project / "out").rglob("*.yaml")} == before


def test_configuration_files_go_into_the_config_map_and_secrets_stay_references(
    project: Path,
) -> None:
    config = project / "config"
    for folder in ("base", "prod", "staging"):
        (config / folder).mkdir(parents=True, exist_ok=True)
    (config / "base" / "payments.toml").write_text(
        'processor_key = "env:PAYMENTS_PROCESSOR_KEY"\nsigning_key = "file:/run/keys/signing"\n'
    )
    (config / "prod" / "payments.toml").write_text("max_in_flight = 512\n")
    (config / "prod" / "orders.toml").write_text("max_in_flight = 128\n")
    (config / "prod" / "environment.toml").write_text("[require]\nauth = true\n")
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    assert result.returncode == 0, result.stderr
    config_map = (project / "out" / "payments" / "config-map.yaml").read_text()
    assert "base.payments.toml: |" in config_map
    assert "max_in_flight = 512" in config_map
    assert "prod.environment.toml: |" in config_map  # the environment's own file
    assert "128" not in config_map  # another service's file is not payments'
    rollout = (project / "out" / "payments" / "rollout.yaml").read_text()
    assert (
        "name: PAYMENTS_PROCESSOR_KEY\n          valueFrom:\n            secretKeyRef:" in rollout
    )
    assert "mountPath: /run/keys" in rollout
    assert "secretName: payments-secrets" in rollout
    check = _accord(project, "deploy", "check", "--env", "prod", "--dir", "out")
    assert check.returncode == 0, check.stderr


def test_an_unknown_key_is_named(project: Path) -> None:
    config = project / "config"
    for folder in ("base", "schemas"):
        (config / folder).mkdir(parents=True, exist_ok=True)
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"max_in_flight": {"type": "integer"}},
    }
    (config / "schemas" / "inventory.v1.json").write_text(json.dumps(schema))
    (config / "base" / "inventory.toml").write_text("max_inflight = 8\n")
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "inventory in prod: max_inflight: unknown key")


def test_a_literal_secret_is_refused_when_the_schema_marks_it(project: Path) -> None:
    config = project / "config"
    for folder in ("base", "prod", "schemas"):
        (config / folder).mkdir(parents=True, exist_ok=True)
    schema = {"type": "object", "properties": {"api_key": {"type": "string", "x-secret": True}}}
    (config / "schemas" / "payments.v1.json").write_text(json.dumps(schema))
    (config / "prod" / "payments.toml").write_text('api_key = "sk_live_123"\n')
    result = _accord(project, "deploy", "render", "--env", "prod", "--out", "out")
    _one_line_failure(result, "api_key is a secret and holds a value")
    assert not (project / "out").exists()


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
