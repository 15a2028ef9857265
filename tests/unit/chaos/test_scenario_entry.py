"""A project names its chaos scenario in accord.toml; the engine builds it from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord import project as projects
from accord.chaos import ChaosError, Step
from accord.chaos.driver import load_scenario
from tests.support.processes import ROOT


def test_the_shops_scenario_is_found_and_names_only_its_services() -> None:
    project = projects.load(ROOT / "accord.toml")
    scenario = load_scenario(project)
    steps: list[Step] = list(scenario.schedule)
    assert steps and [s.at for s in steps] == sorted(s.at for s in steps)
    assert all(0.0 < s.at < 1.0 for s in steps)
    named = {n for s in steps for n in (*s.kill, *s.faults)}
    assert named and named <= set(project.services)


def test_a_project_without_a_scenario_is_refused(tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text('[project]\nhome = "state"\n', encoding="utf-8")
    with pytest.raises(ChaosError, match=r"names no chaos scenario"):
        load_scenario(projects.load(tmp_path / "accord.toml"))


def test_a_scenario_that_does_not_import_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text(
        '[project]\nchaos = "no_such_module_here:Scenario"\n', encoding="utf-8"
    )
    with pytest.raises(projects.ProjectError, match="cannot import no_such_module_here"):
        load_scenario(projects.load(tmp_path / "accord.toml"))
