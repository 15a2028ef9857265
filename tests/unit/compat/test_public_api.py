"""``accord.compat``'s public API is what ``__all__`` says, each name documented."""

from __future__ import annotations

import inspect

from accord import compat


def test_every_public_name_exists_and_is_documented() -> None:
    assert sorted(compat.__all__) == sorted(
        [
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
    )
    for name in compat.__all__:
        obj = getattr(compat, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"accord.compat.{name} has no docstring"


def test_spec_errors_are_accord_errors() -> None:
    from accord.errors import AccordError

    assert issubclass(compat.SpecError, AccordError)
