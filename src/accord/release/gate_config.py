"""The release gate's ``config`` row: the settings schemas against a git ref.

::

    python -m accord.release.gate_config REF

Regenerates every service's settings schema from its code (``settings`` in
``accord.toml``) and compares it with ``config/schemas/`` as committed at REF: within one
major version a removed field, a narrowed type or constraint, or a new required field
breaks the files written for it (:func:`accord.config.schema.breaking`). One line per
breaking change; exit 1 when there is one, 0 otherwise, 2 when it cannot tell.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from accord.errors import AccordError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the settings schemas with those at ``argv[0]``; the exit status."""
    from accord import compat
    from accord.config import Layout, schema
    from accord.project import import_object, load

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m accord.release.gate_config REF", file=sys.stderr)
        return 2
    try:
        project = load()
        if str(project.root) not in sys.path:
            sys.path.insert(0, str(project.root))
        generated = {
            schema.filename(name, cls): schema.render(name, cls)
            for name, spec in project.services.items()
            if spec.settings and (cls := import_object(spec.settings))
        }
        folder = Layout.from_env(start=project.root).schemas()
        committed = compat.documents_at(project.root, args[0], folder, suffix=".json")
    except AccordError as exc:
        print(f"accord: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    broken = schema.check(committed, generated)
    for line in broken:
        print(f"error: config/schemas/{line}")
    compared = len(set(committed) & set(generated))
    print(f"{len(broken)} breaking change(s) in {compared} settings schema(s) against {args[0]}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
