"""Rules about everything around the schemas: operations, parameters, bodies, responses,
security, deprecation and accord's ``x-accord-*`` extensions."""

from __future__ import annotations

from accord.compat.catalogue.callback_rules import CALLBACK_RULES
from accord.compat.catalogue.request_rules import REQUEST_RULES
from accord.compat.catalogue.response_rules import RESPONSE_RULES
from accord.compat.catalogue.server_rules import SERVER_RULES
from accord.compat.types import Rule

__all__ = ["api_rules"]


def api_rules() -> list[Rule]:
    """Every rule that is not about a schema, in catalogue order."""
    return [Rule(*row) for row in (*REQUEST_RULES, *RESPONSE_RULES, *SERVER_RULES, *CALLBACK_RULES)]
