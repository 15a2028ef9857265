"""The shared vocabulary of the checker: levels, rules, changes and the error tree.

SpecError        a document cannot be read: bad YAML or JSON, not OpenAPI 3.0/3.1,
                 an unresolved or remote ``$ref`` (an :class:`~accord.errors.AccordError`,
                 so the CLI ends it with one line and exit 2)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import msgspec

from accord.errors import AccordError

__all__ = ["Change", "Level", "Rule", "Side", "SpecError"]


class SpecError(AccordError):
    """An OpenAPI document cannot be read or resolved."""


class Level(enum.StrEnum):
    """How much a change matters to existing clients, from most to least."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for breaking, 1 for warning, 0 for info: compare with ``>=``."""
        return {"breaking": 2, "warning": 1, "info": 0}[self.value]


class Side(enum.StrEnum):
    """Who reads a part of an operation: the server (request) or the client (response)."""

    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of the catalogue: a stable id, its level and what it means.

    ``before`` and ``after`` are a short example of the change, as document fragments.
    """

    id: str
    level: Level
    description: str
    before: str
    after: str


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One finding: which rule, where, and what changed.

    ``operation`` is ``"METHOD /path/{template}"`` (empty for document-wide findings),
    ``location`` the part of the operation (``query parameter limit``,
    ``response 200 application/json``), ``path`` where inside that part's schema
    (``$.items[].sku``; ``$`` for the part itself).
    """

    id: str
    level: Level
    operation: str
    path: str
    location: str
    message: str

    def sort_key(self) -> tuple[str, str, str, str, str]:
        """The stable order of a report: operation, location, path, rule, message."""
        return (self.operation, self.location, self.path, self.id, self.message)
