"""flagd's flag-definition schema, checked offline.

The schema files (``schemas/flags.json`` and ``schemas/targeting.json``, Apache-2.0, see
``schemas/LICENSE``) are copied from flagd's repository; they reference each other by
their ``https://flagd.dev/schema/v0/…`` ids, which a local registry answers, so nothing is
ever fetched.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft7Validator

__all__ = ["schema_problems"]

_SCHEMAS = ("flags.json", "targeting.json")


@cache
def _validator() -> Draft7Validator:
    # jsonschema loads on the first check, not with the package: reading flags (a
    # service evaluating them, the console listing them) does not need it.
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource

    folder = resources.files("accord.flags") / "schemas"
    registry: Registry[Any] = Registry()
    documents = {}
    for name in _SCHEMAS:
        document = json.loads((folder / name).read_text(encoding="utf-8"))
        documents[name] = document
        registry = registry.with_resource(document["$id"], Resource.from_contents(document))
    # The root's "$id" sits beside a "$ref", which draft 7 ignores: enter through its URI
    # so that "./targeting.json" resolves against it.
    return Draft7Validator({"$ref": documents["flags.json"]["$id"]}, registry=registry)


def schema_problems(document: object) -> list[str]:
    """What is wrong with ``document`` as a flagd flag-definition file, one line each
    (``$.flags.pause-orders.defaultVariant: 3 is not of type 'string'``); empty when valid.

    Beyond the schema, each flag's ``defaultVariant`` must name one of its variants, as
    flagd itself requires when it evaluates.
    """
    from jsonschema.exceptions import best_match

    problems: list[str] = []
    for found in sorted(_validator().iter_errors(document), key=lambda e: [str(p) for p in e.path]):
        error = found
        while error.context:  # anyOf/oneOf: say why the closest branch failed
            error = best_match(error.context) or error
        path = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
        )
        line = f"{path}: {_message(error.message)}"
        if line not in problems:
            problems.append(line)
    if problems or not isinstance(document, dict):
        return problems
    for key, flag in document.get("flags", {}).items():
        default = flag.get("defaultVariant")
        if default is not None and default not in flag.get("variants", {}):
            problems.append(f"$.flags.{key}.defaultVariant: {default!r} is not one of its variants")
    return problems


def _message(text: str) -> str:
    """A schema message on one line, without the whole offending value when it is long."""
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."
