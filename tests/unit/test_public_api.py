"""The public API is what ``__all__`` says, and it changes only on purpose."""

from __future__ import annotations

import importlib
import inspect

import pytest

import accord

PUBLIC = {
    "accord": [
        "AccordError",
        "App",
        "BoundOperation",
        "ClientError",
        "Contract",
        "ContractError",
        "FieldError",
        "Idempotency",
        "Operation",
        "RemoteError",
        "ServiceError",
        "Telemetry",
        "Timeout",
        "TransportError",
        "UnexpectedResponse",
        "__version__",
        "operation",
        "serve",
    ],
    "accord.runtime": [
        "READINESS_TIMEOUT",
        "App",
        "Authentication",
        "Deadlines",
        "FaultInjection",
        "Handler",
        "IdempotencyLayer",
        "Layer",
        "LoadShedding",
        "Principal",
        "ReadinessCheck",
        "Request",
        "Response",
        "TokenVerifier",
        "current_principal",
        "serve",
    ],
    "accord.config": [
        "DIR_VARIABLE",
        "ENV_VARIABLE",
        "ConfigError",
        "FieldSpec",
        "Layout",
        "LiveSettings",
        "Loaded",
        "Observability",
        "Problem",
        "ServiceConfig",
        "Snapshot",
        "TLSSettings",
        "field_specs",
        "load",
        "schema_version",
        "section",
        "setting",
    ],
    "accord.client": [
        "DEFAULT_BREAKER",
        "DEFAULT_BULKHEAD",
        "DEFAULT_RETRY",
        "BearerAuth",
        "ClientAuth",
        "ClientCore",
        "DownstreamStats",
        "TokenSource",
        "TokenUnavailable",
        "reconfigure",
        "stats",
    ],
    "accord.audit": [
        "AUDIT_DIR",
        "GENESIS",
        "AuditFile",
        "AuditSink",
        "AuditTrail",
        "Break",
        "NullAudit",
        "Report",
        "audit_files",
        "operator",
        "read_records",
        "record_hash",
        "verify_file",
    ],
    "accord.flags": [
        "EvaluationTelemetry",
        "Finding",
        "Flag",
        "FlagFileError",
        "FlagKind",
        "FlagSettings",
        "FlagSettingsError",
        "FlagValue",
        "Flags",
        "check_flags",
        "read_flags",
        "write_flags",
    ],
    "accord.console": ["ConsoleApp", "serve_console"],
    "accord.ports": ["ConcurrencyConflict", "ConflictRetry", "UnitOfWork", "UnitOfWorkFactory"],
    "accord.switches": ["OFF", "ON", "parse_switch"],
    "accord.kit": ["DatabaseSettings", "ServiceKit", "own_database"],
}


def test_the_top_level_api_is_exactly_this() -> None:
    assert sorted(accord.__all__) == sorted(PUBLIC["accord"])


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_public_name_exists_and_is_documented(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        obj = getattr(mod, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{module}.{name} has no docstring"


@pytest.mark.parametrize(
    "module",
    [
        "accord.chaos",
        "accord.compat",
        "accord.config.common",
        "accord.config.edit",
        "accord.config.environment",
        "accord.config.promote",
        "accord.config.reload",
        "accord.config.schema",
        "accord.config.validate",
        "accord.dataplane",
        "accord.contract",
        "accord.errors",
        "accord.openapi",
        "accord.observability",
        "accord.observability.otlp_json",
        "accord.observability.waterfall",
        "accord.project",
        "accord.rollout",
        "accord.runtime.limits",
        "accord.runtime.ratelimit",
        "accord.sql",
        "accord.supervisor",
    ],
)
def test_modules_declare_all(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name}, which is missing"
