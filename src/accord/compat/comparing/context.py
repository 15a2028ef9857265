"""What every comparison step shares: both documents, their schemas and the findings."""

from __future__ import annotations

from typing import Any

from accord.compat.catalogue.registry import rule
from accord.compat.catalogue.schema_rules import CONTEXTS, MESSAGES, schema_rule_id
from accord.compat.loading.document import Spec
from accord.compat.schemas.diff import DEFAULT_KINDS, SchemaDiff
from accord.compat.schemas.normal_form import Shapes
from accord.compat.types import Change

__all__ = ["Context"]


class Context:
    """Both documents of a diff and the list of changes found so far."""

    def __init__(self, base: Spec, revision: Spec) -> None:
        self.base = base
        self.rev = revision
        self.schemas = SchemaDiff(Shapes(base), Shapes(revision))
        self.changes: list[Change] = []

    def add(
        self, rule_id: str, operation: str, location: str, message: str, path: str = "$"
    ) -> None:
        """Record a finding of rule ``rule_id``."""
        self.changes.append(
            Change(
                id=rule_id,
                level=rule(rule_id).level,
                operation=operation,
                path=path,
                location=location,
                message=message,
            )
        )

    def schema(
        self,
        before: Any,
        after: Any,
        context: str,
        operation: str,
        location: str,
        *,
        always_sent: bool = False,
    ) -> None:
        """Compare two schemas read in ``context`` (``request-body``, ``response-header``…).

        ``always_sent``: the value is required on both sides, so its ``default`` is moot.
        """
        side = MESSAGES.get(context, CONTEXTS[context][0])
        for kind, path, message in self.schemas.compare(before, after, side):
            if always_sent and path == "" and kind in DEFAULT_KINDS:
                continue
            self.add(schema_rule_id(context, kind), operation, location, message, "$" + path)
