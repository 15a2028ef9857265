"""The policy checks find each breach they are for."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from accord.deploy import render
from accord.deploy.network import callers
from accord.deploy.policy import check
from accord.project import load
from tests.support.processes import ROOT

PROJECT = load(ROOT / "accord.toml")
CALLERS = callers({n: s.depends_on for n, s in PROJECT.services.items()})


@pytest.fixture
def files() -> dict[str, list[dict[str, Any]]]:
    return copy.deepcopy(render(PROJECT, "prod"))


def _container(files: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    container: dict[str, Any] = files["orders/rollout.yaml"][0]["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def test_a_clean_render_passes(files: dict[str, list[dict[str, Any]]]) -> None:
    assert check(files, CALLERS) == []


@pytest.mark.parametrize(
    ("image", "allowed"),
    [
        ("registry.example.com/app:latest", False),
        ("registry.example.com/app:1.2.3", False),
        ("registry.example.com/app", False),
        ("registry.example.com/app@sha256:" + "1" * 64, True),
    ],
)
def test_images_must_be_pinned_by_digest(
    files: dict[str, list[dict[str, Any]]], image: str, allowed: bool
) -> None:
    _container(files)["image"] = image
    problems = check(files, CALLERS)
    assert (problems == []) is allowed, problems


def test_missing_limits_probes_and_hardening_are_each_named(
    files: dict[str, list[dict[str, Any]]],
) -> None:
    container = _container(files)
    del container["resources"]["limits"]["memory"]
    del container["readinessProbe"]
    container["securityContext"].update(
        readOnlyRootFilesystem=False, allowPrivilegeEscalation=True, capabilities={}
    )
    container["securityContext"]["runAsNonRoot"] = False
    problems = "\n".join(check(files, CALLERS))
    for words in (
        "no limits for memory",
        "no readinessProbe",
        "may run as root",
        "root filesystem is writable",
        "privilege escalation",
        "capabilities are not all dropped",
    ):
        assert words in problems


def test_a_secret_value_in_a_config_map_is_refused(files: dict[str, list[dict[str, Any]]]) -> None:
    data = files["orders/config-map.yaml"][0]["data"]
    data["base.orders.toml"] = 'db_password = "hunter2"\ncard_token = "env:CARD_TOKEN"\n'
    data["prod.orders.toml"] = 'database_url = "postgresql://orders:s3cret@db/orders"\n'
    problems = check(files, CALLERS)
    assert len(problems) == 2, problems
    assert "db_password holds a secret value" in problems[0]
    assert "holds a credential" in problems[1]


def test_a_network_policy_must_name_exactly_the_callers(
    files: dict[str, list[dict[str, Any]]],
) -> None:
    ingress = files["inventory/network-policy.yaml"][0]["spec"]["ingress"]
    ingress[0]["from"].append({"podSelector": {"matchLabels": {"app.kubernetes.io/name": "x"}}})
    del files["payments/network-policy.yaml"]
    problems = check(files, CALLERS)
    assert problems == [
        "inventory: its NetworkPolicy admits ['orders', 'x'], its callers are ['orders']",
        "payments: no NetworkPolicy",
    ]


def test_without_a_default_deny_the_namespace_is_open(
    files: dict[str, list[dict[str, Any]]],
) -> None:
    del files["shared/network-policy.yaml"]
    assert check(files, CALLERS) == [
        "no default-deny NetworkPolicy denying ingress and egress to every pod"
    ]


def test_an_init_container_is_hardened_too_but_not_probed(
    files: dict[str, list[dict[str, Any]]],
) -> None:
    pod = files["identity/rollout.yaml"][0]["spec"]["template"]["spec"]
    assert check(files, CALLERS) == []  # its copying init container has no probes
    pod["initContainers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    (problem,) = check(files, CALLERS)
    assert "container copy-state-0: the root filesystem is writable" in problem
