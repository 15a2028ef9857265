"""Effective settings: defaults ← base ← environment file ← variables, every problem said."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.config import ConfigError, Layout, load
from accord.config.secrets import resolve
from tests.unit.config.sample import Settings


def write(root: Path, folder: str, text: str) -> Path:
    path = root / folder / "sample.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for env in ("base", "dev", "prod"):
        (tmp_path / env).mkdir()
    return tmp_path


def problems(root: Path, env: str = "dev", environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(Settings, "sample", Layout(root, env), environ or {})
    return [str(p) for p in caught.value.problems]


def test_precedence_and_the_source_of_every_value(root: Path) -> None:
    base = write(root, "base", "max_in_flight = 100\nratio = 0.25\n\n[limits]\nburst = 5\n")
    dev = write(root, "dev", "max_in_flight = 50\n")
    loaded = load(Settings, "sample", Layout(root, "dev"), {"SAMPLE_DEBUG": "on"})
    s = loaded.settings
    assert (s.max_in_flight, s.ratio, s.limits.burst, s.debug) == (50, 0.25, 5, True)
    assert loaded.sources == {
        "database_url": "default",
        "max_in_flight": f"{dev}:1",
        "ratio": f"{base}:2",
        "debug": "env SAMPLE_DEBUG",
        "api_key": "default",
        "limits.burst": f"{base}:5",
    }
    overridden = load(Settings, "sample", Layout(root, "dev"), {"ACCORD_MAX_IN_FLIGHT": "9"})
    assert overridden.settings.max_in_flight == 9
    assert overridden.sources["max_in_flight"] == "env ACCORD_MAX_IN_FLIGHT"
    # The service's own variable wins over the shared one.
    both = {"SAMPLE_MAX_IN_FLIGHT": "3", "ACCORD_MAX_IN_FLIGHT": "9"}
    assert load(Settings, "sample", Layout(root, "dev"), both).settings.max_in_flight == 3
    assert loaded.version == "1.2.0" and len(loaded.hash) == 16
    assert loaded.hash != overridden.hash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max_in_flight = 1\nspeed = 3\n", "dev/sample.toml:2: speed: unknown key"),
        (
            'ratio = 0.5\nmax_in_flight = "lots"\n',
            "dev/sample.toml:2: max_in_flight: Expected int, got str",
        ),
        ("max_in_flight = 5000\n", "dev/sample.toml:1: max_in_flight: Expected int <= 1000"),
        ("[limits]\nburst = 0\n", "dev/sample.toml:2: limits.burst: Expected int >= 1"),
        ('api_key = "sk_live_123"\n', "dev/sample.toml:1: api_key: a literal secret is refused"),
        ("ratio = 0.5\nmax_in_flight = \n", "dev/sample.toml:2: TOML syntax: Invalid value"),
        (
            "max_in_flight = 5",
            "dev/sample.toml:1: incomplete: the file does not end with a newline",
        ),
        (
            "#:schema ../schemas/sample.v2.json\nratio = 0.5\n",
            "dev/sample.toml:1: written for schema v2; the code's is v1",
        ),
    ],
)
def test_each_problem_names_its_file_line_and_key(root: Path, text: str, expected: str) -> None:
    write(root, "dev", text)
    found = problems(root)
    assert len(found) == 1, found
    assert found[0].startswith(f"{root}/") and expected in found[0], found


def test_every_problem_is_reported_not_only_the_first(root: Path) -> None:
    write(root, "base", "speed = 1\n")
    write(root, "dev", "ratio = 2.0\n")
    found = problems(root)
    assert len(found) == 2
    assert any("base/sample.toml:1: speed: unknown key" in p for p in found)
    assert any("dev/sample.toml:1: ratio: Expected float <= 1.0" in p for p in found)


def test_a_bad_variable_is_named(root: Path) -> None:
    assert problems(root, environ={"SAMPLE_DEBUG": "maybe"}) == [
        "$SAMPLE_DEBUG: debug: must be 'on' or 'off', not 'maybe'"
    ]


def test_an_unknown_environment_is_refused(root: Path) -> None:
    assert problems(root, env="qa") == [f"{root}: unknown environment 'qa' (known: dev, prod)"]


def test_secrets_are_references_resolved_when_used(root: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk_from_file\n")
    write(root, "dev", f'api_key = "file:{key_file}"\n')
    settings = load(Settings, "sample", Layout(root, "dev"), {}).settings
    assert resolve(settings.api_key) == "sk_from_file"
    assert resolve("env:PARTNER_KEY", environ={"PARTNER_KEY": "sk_env"}) == "sk_env"
    with pytest.raises(ConfigError, match=r"^\$PARTNER_KEY: api_key: the secret's variable"):
        resolve("env:PARTNER_KEY", key="api_key", environ={})


def test_no_folder_means_defaults_and_variables(tmp_path: Path) -> None:
    loaded = load(Settings, "sample", Layout(tmp_path / "absent", "dev"), {})
    assert loaded.settings == Settings() and loaded.files == ()
