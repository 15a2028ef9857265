"""Breaking-change detection between two OpenAPI 3.0/3.1 documents.

::

    from accord import compat

    base = compat.load(Path("contracts/orders.v1.openapi.json"))
    revision = compat.load(Path("orders.yaml"))
    changes = compat.diff(base, revision)
    breaking = compat.at_or_above(changes, compat.Level.BREAKING)

Each :class:`Change` names a rule of :data:`RULES` (a stable kebab-case id with one
level: ``breaking``, ``warning`` or ``info``). A change is judged by who reads the part
it touches: the server reads requests, clients read responses. ``docs/compat.md`` tells
how to use it; ``docs/compat-rules.md`` lists every rule.
"""

from accord.compat.catalogue.markdown import rules_markdown
from accord.compat.catalogue.registry import RULES, rule
from accord.compat.comparing.documents import diff
from accord.compat.loading.document import Spec, load, parse
from accord.compat.loading.git import documents_at
from accord.compat.reports.formats import at_or_above, summary, to_json, to_markdown, write_text
from accord.compat.reports.verdict import Verdict, check_documents
from accord.compat.types import Change, Level, Rule, Side, SpecError

__all__ = [
    "RULES",
    "Change",
    "Level",
    "Rule",
    "Side",
    "Spec",
    "SpecError",
    "Verdict",
    "at_or_above",
    "check_documents",
    "diff",
    "documents_at",
    "load",
    "parse",
    "rule",
    "rules_markdown",
    "summary",
    "to_json",
    "to_markdown",
    "write_text",
]
