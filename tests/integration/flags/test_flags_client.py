"""``Flags`` over flagd's file provider: real files, the provider's own watcher thread.

Typed values, a reload when the file changes, the declared default (and one log line)
when the file is missing or bad, the last good flags kept when a loaded file is broken,
sticky fractional splits, and the span event and counter every evaluation leaves.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from accord.flags import Flag, Flags, FlagSettings, FlagSettingsError
from accord.observability.telemetry import Telemetry

EXPIRES = date(2030, 1, 1)
PAUSE = Flag.boolean("pause", default=False, description="d", owner="o", expires=EXPIRES)
ROLLOUT = Flag.boolean("new-path", default=False, description="d", owner="o", expires=EXPIRES)
LIMIT = Flag.integer("limit", default=7, description="d", owner="o", expires=EXPIRES)
POLL_MS = 50


def boolean(default: str, **extra: Any) -> dict[str, Any]:
    return {
        "state": "ENABLED",
        "variants": {"on": True, "off": False},
        "defaultVariant": default,
        **extra,
    }


def write(path: Path, **flags: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"flags": flags}))
    temporary.replace(path)


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.02)


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Callable[..., Flags]]:
    made: list[Flags] = []

    def open_flags(path: Path, telemetry: Telemetry | None = None) -> Flags:
        flags = Flags.open(
            FlagSettings(provider="file", path=str(path), poll_ms=POLL_MS),
            service="orders",
            version="2.2.0",
            telemetry=telemetry,
        )
        made.append(flags)
        return flags

    yield open_flags
    for flags in made:
        flags.close()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "accord.flags" and r.levelno >= 30]


def test_values_are_typed_and_follow_the_file(tmp_path: Path, opened: Any) -> None:
    path = tmp_path / "flags.json"
    limits = {"state": "ENABLED", "variants": {"low": 5, "high": 50}, "defaultVariant": "high"}
    write(path, pause=boolean("off"), limit=limits)
    flags = opened(path)
    assert flags.value(PAUSE) is False
    assert flags.value(LIMIT) == 50
    write(path, pause=boolean("on"), limit=limits)
    eventually(lambda: flags.value(PAUSE) is True)


def test_a_missing_file_means_defaults_and_one_log_line(
    tmp_path: Path, opened: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "flags.json"
    flags = opened(path)
    assert flags.value(LIMIT) == 7
    assert flags.details(PAUSE).value is False
    time.sleep(10 * POLL_MS / 1000)  # ten polls of a file that is still not there
    assert len(warnings_of(caplog)) == 1, warnings_of(caplog)
    assert "every flag takes its default" in warnings_of(caplog)[0]
    write(path, pause=boolean("on"))
    eventually(lambda: flags.value(PAUSE) is True)


def test_an_invalid_file_at_start_means_defaults(
    tmp_path: Path, opened: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "flags.json"
    write(path, pause=boolean("on", state="SOMETIMES"))
    flags = opened(path)
    assert flags.value(PAUSE) is False
    assert len(warnings_of(caplog)) == 1
    assert "$.flags.pause.state" in warnings_of(caplog)[0]


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda p: p.write_text('{"flags": {"pause": '), id="half-written"),
        pytest.param(
            lambda p: write(p, pause=boolean("off", variants={"on": True, "off": 0})),
            id="against-schema",
        ),
        pytest.param(lambda p: p.unlink(), id="deleted"),
    ],
)
def test_a_broken_edit_keeps_the_last_good_flags(
    tmp_path: Path,
    opened: Any,
    caplog: pytest.LogCaptureFixture,
    breakage: Callable[[Path], None],
) -> None:
    path = tmp_path / "flags.json"
    write(path, pause=boolean("on"))
    flags = opened(path)
    assert flags.value(PAUSE) is True
    breakage(path)
    eventually(lambda: bool(warnings_of(caplog)))
    time.sleep(10 * POLL_MS / 1000)
    assert flags.value(PAUSE) is True, "the last good flags stay"
    assert len(warnings_of(caplog)) == 1, warnings_of(caplog)
    assert "the last good flags stay" in warnings_of(caplog)[0]
    write(path, pause=boolean("off"))
    eventually(lambda: flags.value(PAUSE) is False)


def test_fractional_is_sticky_per_customer_and_splits(tmp_path: Path, opened: Any) -> None:
    path = tmp_path / "flags.json"
    split = {"fractional": [["on", 50], ["off", 50]]}
    write(path, **{"new-path": boolean("off", targeting=split)})
    flags = opened(path)
    customers = [f"cus_{i}" for i in range(200)]
    first = {c: flags.value(ROLLOUT, targeting_key=c) for c in customers}
    again = {c: flags.value(ROLLOUT, targeting_key=c) for c in customers}
    assert first == again
    assert 60 < sum(first.values()) < 140, "about half each way"
    # Growing the rollout keeps everyone who had the new path on it.
    write(path, **{"new-path": boolean("off", targeting={"fractional": [["on", 80], ["off", 20]]})})
    eventually(lambda: sum(flags.value(ROLLOUT, targeting_key=c) for c in customers) > 140)
    assert all(flags.value(ROLLOUT, targeting_key=c) for c, on in first.items() if on)


def test_targeting_sees_the_service_version(tmp_path: Path, opened: Any) -> None:
    path = tmp_path / "flags.json"
    rule = {"if": [{"==": [{"var": "version"}, "2.2.0"]}, "on", "off"]}
    write(path, pause=boolean("off", targeting=rule))
    assert opened(path).value(PAUSE) is True


def test_each_evaluation_leaves_a_span_event_and_a_count(tmp_path: Path, opened: Any) -> None:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry.configure(
        "orders",
        "2.2.0",
        home=tmp_path,
        log_stream=io.StringIO(),
        span_exporter=exporter,
        sampler=ALWAYS_ON,
        simple_processor=True,
    )
    path = tmp_path / "flags.json"
    write(path, pause=boolean("on"))
    flags = opened(path, telemetry)
    with telemetry.tracer.start_as_current_span("request"):
        flags.value(PAUSE)
        flags.value(LIMIT)  # not in the file: the default, counted as such
    (span,) = exporter.get_finished_spans()
    events = [dict(e.attributes or {}) for e in span.events]
    assert [e["feature_flag.key"] for e in events] == ["pause", "limit"]
    assert events[0]["feature_flag.result.variant"] == "on"
    assert events[0]["feature_flag.provider.name"] == "FlagdProvider"
    assert span.events[0].name == "feature_flag.evaluation"
    assert events[1]["error.type"] == "flag_not_found"
    assert "feature_flag.result.variant" not in events[1]
    registry = telemetry.metrics.registry
    name = "accord_feature_flag_evaluations_total"
    assert registry.get_sample_value(name, {"flag": "pause", "variant": "on"}) == 1.0
    assert registry.get_sample_value(name, {"flag": "limit", "variant": "_default"}) == 1.0


def test_settings_from_the_environment(tmp_path: Path) -> None:
    settings = FlagSettings.from_env({"ACCORD_CONFIG_DIR": str(tmp_path), "ACCORD_ENV": "prod"})
    assert settings == FlagSettings(provider="file", path=str(tmp_path / "prod" / "flags.json"))
    with pytest.raises(FlagSettingsError, match="ACCORD_FLAGS_POLL_MS"):
        FlagSettings.from_env({"ACCORD_FLAGS_POLL_MS": "fast"})
    with pytest.raises(FlagSettingsError, match="needs a host and a port"):
        FlagSettings(provider="flagd://localhost").build()
    with pytest.raises(FlagSettingsError, match="is not 'file'"):
        FlagSettings(provider="consul").build()


def test_no_provider_means_every_default() -> None:
    flags = Flags.open(FlagSettings(), service="orders", version="2.3.0")
    try:
        assert flags.value(LIMIT) == 7
        assert flags.value(PAUSE) is False
    finally:
        flags.close()


def test_a_provider_factory_is_imported() -> None:
    provider = FlagSettings(provider="openfeature.provider.no_op_provider:NoOpProvider").build()
    assert provider.get_metadata().name == "No-op Provider"
    with pytest.raises(FlagSettingsError, match="ACCORD_FLAGS_PROVIDER"):
        FlagSettings(provider="nowhere.at_all:Factory").build()


def test_the_snapshot_answers_as_flagd_evaluates(tmp_path: Path, opened: Any) -> None:
    path = tmp_path / "flags.json"
    split = {"fractional": [["on", 30], ["off", 70]]}
    write(path, pause=boolean("on"), **{"new-path": boolean("off", targeting=split)})
    flags = opened(path)
    core = flags._provider._core  # flagd's evaluator, which the snapshot stands in for
    for customer in [f"cus_{i}" for i in range(300)]:
        for flag in (PAUSE, ROLLOUT):
            quick = flags.details(flag, targeting_key=customer)
            full = core.resolve_boolean_value(flag.key, False, flags.context(customer))
            assert (quick.value, quick.variant, quick.reason) == (
                full.value,
                full.variant,
                full.reason,
            )


def test_reading_a_flag_file_loads_no_grpc(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, pause=boolean("on"))
    probe = (
        "import sys\n"
        "from datetime import date\n"
        "from accord.flags import Flag, Flags, FlagSettings\n"
        "PAUSE = Flag.boolean('pause', default=False, description='d', owner='o',"
        " expires=date(2030, 1, 1))\n"
        f"flags = Flags.open(FlagSettings(provider='file', path={str(path)!r}),"
        " service='s', version='1')\n"
        "assert flags.value(PAUSE) is True\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'grpc', 'google', 'yaml'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
