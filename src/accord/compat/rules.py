"""Print the rule catalogue as Markdown: ``python -m accord.compat.rules``."""

from __future__ import annotations

import sys

from accord.compat.catalogue.markdown import rules_markdown

__all__ = ["main"]


def main() -> None:
    """Write ``docs/compat-rules.md``'s text to standard output."""
    sys.stdout.write(rules_markdown())


if __name__ == "__main__":
    main()
