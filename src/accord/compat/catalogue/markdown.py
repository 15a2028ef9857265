"""``docs/compat-rules.md``, generated from the catalogue."""

from __future__ import annotations

from accord.compat.catalogue.registry import RULES
from accord.compat.catalogue.schema_rules import CONTEXTS
from accord.compat.types import Level

__all__ = ["rules_markdown"]


def rules_markdown() -> str:
    """The catalogue as Markdown: a count by level, then every rule with its example."""
    counts = {level: sum(1 for r in RULES.values() if r.level is level) for level in Level}
    lines = [
        "# Compatibility rules",
        "",
        "<!-- Generated from src/accord/compat: run "
        "`python -m accord.compat.rules > docs/compat-rules.md`. -->",
        "",
        "Every finding of `accord contracts diff` names one of these rules. Ids are stable: "
        "tools and reviews may rely on them. See [compat.md](compat.md) for how to use the "
        "checker.",
        "",
        f"{len(RULES)} rules: "
        + ", ".join(f"{counts[level]} {level.value}" for level in Level)
        + ".",
        "",
        "Schema rules exist once per place a schema is read: "
        + ", ".join(f"`{c}-…` ({words})" for c, (_, words) in CONTEXTS.items())
        + ". A change that narrows what a request may hold breaks clients that send the "
        "old values; one that widens what a response may hold breaks clients that read it. "
        "In callbacks and webhooks the API sends the request, so their parameters and body "
        "are judged as a response and the consumer's answer as a request.",
        "",
        "| id | level | description | before | after |",
        "|---|---|---|---|---|",
    ]
    for r in RULES.values():
        lines.append(
            f"| `{r.id}` | {r.level.value} | {_cell(r.description)} | "
            f"`{_cell(r.before)}` | `{_cell(r.after)}` |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
