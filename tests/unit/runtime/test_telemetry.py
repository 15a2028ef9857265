"""Telemetry.configure: sampler, exporter and resource from explicit settings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, TraceIdRatioBased

from accord.observability import Telemetry, TracingConfigError
from accord.observability.otlp_json import FileSpanExporter
from accord.observability.tracing import exporter_from_env, sampler_from_env


def test_default_sampler_is_parent_based_ten_percent() -> None:
    sampler = sampler_from_env({})
    assert isinstance(sampler, ParentBased)
    assert "TraceIdRatioBased{0.1}" in sampler.get_description()


@pytest.mark.parametrize(
    ("name", "arg", "description"),
    [
        ("always_on", "", ALWAYS_ON.get_description()),
        ("always_off", "", ALWAYS_OFF.get_description()),
        ("traceidratio", "0.25", TraceIdRatioBased(0.25).get_description()),
        ("parentbased_traceidratio", "0.5", ParentBased(TraceIdRatioBased(0.5)).get_description()),
        ("parentbased_always_on", "", ParentBased(ALWAYS_ON).get_description()),
        ("parentbased_always_off", "", ParentBased(ALWAYS_OFF).get_description()),
    ],
)
def test_sampler_from_standard_variables(name: str, arg: str, description: str) -> None:
    env = {"OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": arg}
    assert sampler_from_env(env).get_description() == description


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_TRACES_SAMPLER": "sometimes"},
        {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"},
        {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
    ],
)
def test_bad_sampler_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(TracingConfigError):
        sampler_from_env(env)


def test_exporter_none(tmp_path: Path) -> None:
    assert exporter_from_env("svc", {"OTEL_TRACES_EXPORTER": "none"}, tmp_path) is None


def test_exporter_otlp_http_when_an_endpoint_is_set(tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = exporter_from_env("svc", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}, tmp_path)
    assert isinstance(base, OTLPSpanExporter)
    assert base._endpoint == "http://c:4318/v1/traces"
    traces = exporter_from_env(
        "svc", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom"}, tmp_path
    )
    assert isinstance(traces, OTLPSpanExporter)
    assert traces._endpoint == "http://c:4318/custom"
    base.shutdown()
    traces.shutdown()


def test_exporter_defaults_to_a_file_under_home(tmp_path: Path) -> None:
    exporter = exporter_from_env("svc", {}, tmp_path)
    assert isinstance(exporter, FileSpanExporter)
    exporter.shutdown()


def test_configured_spans_reach_the_file_with_the_resource(tmp_path: Path) -> None:
    telemetry = Telemetry.configure(
        "svc",
        "3.1.4",
        home=tmp_path,
        log_stream=io.StringIO(),
        environ={"OTEL_TRACES_SAMPLER": "always_on"},
    )
    with telemetry.tracer.start_as_current_span("work"):
        pass
    telemetry.shutdown()
    text = (tmp_path / "telemetry" / "svc.jsonl").read_text()
    assert '"work"' in text
    assert "service.instance.id" in text
    assert "3.1.4" in text


def test_each_telemetry_has_its_own_provider() -> None:
    a = Telemetry.configure("a", "1.0.0", environ={"OTEL_TRACES_EXPORTER": "none"})
    b = Telemetry.configure("b", "1.0.0", environ={"OTEL_TRACES_EXPORTER": "none"})
    assert a.tracer_provider is not b.tracer_provider
    assert a.tracer_provider.resource.attributes["service.name"] == "a"
    assert (
        a.tracer_provider.resource.attributes["service.instance.id"]
        != b.tracer_provider.resource.attributes["service.instance.id"]
    )
    a.shutdown()
    b.shutdown()
