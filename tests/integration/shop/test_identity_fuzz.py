"""Schemathesis against identity's own OpenAPI document, in-process, on real SQLite.

Every operation gets generated cases, valid and invalid, with schemathesis' default
checks: no server error, documented status codes, content types and bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from accord.observability.telemetry import Telemetry
from accord.runtime.auth import AuthSettings
from shop.identity.bootstrap import Settings, create_app
from shop.identity.contract import Identity
from tests.support.asgi_thread import running_lifespan

MAX_EXAMPLES = 60

# A schema-valid request may meet a declared answer: an unknown client 401, the
# development login (off) 404, a taken address 409, a generated Idempotency-Key used
# again for another body 422 (`idempotency_key_reused`). That the runtime never rejects
# schema-valid data is checked separately (`validation_failed`).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "404", "409", "422", "429"]
            }
        }
    }
)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("identity-fuzz")
    app = create_app(
        Settings(
            home=str(home),
            database_url=f"sqlite:///{home}/identity.db",
            scrypt_log_n=10,
            login_rate=10_000,
            auth=AuthSettings(enabled=False),
        ),
        telemetry=Telemetry.noop("identity"),
    )
    with running_lifespan(app) as served:
        yield schemathesis.openapi.from_asgi("/openapi.json", served, config=CONFIG)


CASES = [
    pytest.param(f"{op.method} {op.path}", mode, id=f"{op.name}-{mode.value}")
    for op in Identity.operations.values()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    # An operation without parameters has no invalid request to make.
    if mode is GenerationMode.POSITIVE or op.name != "jwks"
]


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_identity(schema: Any, label: str, mode: GenerationMode) -> None:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call_and_validate()
        assert response.status_code < 500, response.text
        if mode is GenerationMode.POSITIVE and response.status_code == 422:
            assert response.json().get("code") != "validation_failed", response.text

    run()
