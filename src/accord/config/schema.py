"""The JSON Schema (2020-12) of a settings class, and what breaks the files written for it.

:func:`document` renders a settings class as the schema of its TOML files: the root
object's properties are the settings, each with its description, default and
constraints, and ``x-reloadable``/``x-pinned``/``x-secret``/``x-env``. It is committed
as ``config/schemas/<service>.v<major>.json`` so editors (and Go or Rust tools) check
the files with it.

:func:`breaking` compares two versions of a schema as a file's writer meets them.
Inside one major version these break a file that was valid: a removed field, a
narrowed type (``number`` → ``integer``, an option removed from a union or an enum), a
narrowed constraint (a higher minimum, a lower maximum, a new or changed pattern), a
new required field (one without a default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec

from accord.config.declare import schema_version

__all__ = ["DIALECT", "Break", "breaking", "check", "document", "filename", "render"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def filename(service: str, cls: type[msgspec.Struct]) -> str:
    """``<service>.v<major>.json``."""
    return f"{service}.v{schema_version(cls).split('.')[0]}.json"


def document(service: str, cls: type[msgspec.Struct]) -> dict[str, Any]:
    """The schema of ``service``'s settings files."""
    generated = msgspec.json.schema(cls)
    defs: dict[str, Any] = dict(generated.get("$defs", {}))
    root_name = generated["$ref"].rsplit("/", 1)[-1]
    root = defs.pop(root_name)
    root.pop("title", None)
    summary = " ".join((cls.__doc__ or "").split()).split(". ")[0].rstrip(".")
    out: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": filename(service, cls),
        "title": f"{service} settings",
        "description": summary,
        "x-schema-version": schema_version(cls),
        **root,
    }
    if defs:
        out["$defs"] = defs
    named: dict[str, Any] = _named(out, service.upper().replace("-", "_"))
    return named


def _named(node: Any, service: str) -> Any:
    """``node`` with ``{SERVICE}`` in its ``x-env`` lists replaced by the service's name."""
    if isinstance(node, dict):
        return {
            k: [n.replace("{SERVICE}", service) for n in v] if k == "x-env" else _named(v, service)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_named(v, service) for v in node]
    return node


def render(service: str, cls: type[msgspec.Struct]) -> bytes:
    """:func:`document` as the bytes committed: indented JSON and a final newline."""
    return (json.dumps(document(service, cls), indent=2, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True, order=True)
class Break:
    """One breaking change: the key it touches and what changed."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def breaking(old: dict[str, Any], new: dict[str, Any]) -> list[Break]:
    """Every change from ``old`` to ``new`` that makes a valid file invalid."""
    found: list[Break] = []
    _compare(old, new, "", _Docs(old, new), found)
    return sorted(set(found))


def check(committed: dict[str, bytes], generated: dict[str, bytes]) -> list[str]:
    """``file: key: change`` for every breaking change from a committed schema to the one
    the code generates under the same name (so within one major version)."""
    failures: list[str] = []
    for name, data in sorted(generated.items()):
        if name not in committed:
            continue
        try:
            old = json.loads(committed[name])
        except ValueError as exc:
            failures.append(f"{name}: the committed schema is not JSON: {exc}")
            continue
        failures.extend(f"{name}: {change}" for change in breaking(old, json.loads(data)))
    return failures


@dataclass(frozen=True)
class _Docs:
    old: dict[str, Any]
    new: dict[str, Any]


def _deref(node: Any, doc: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        node = doc.get("$defs", {}).get(node["$ref"].rsplit("/", 1)[-1], {})
    return node if isinstance(node, dict) else {}


def _members(node: dict[str, Any], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A union's members (``anyOf``/``oneOf``), else the node itself."""
    node = _deref(node, doc)
    union = node.get("anyOf") or node.get("oneOf")
    if not union:
        return [node]
    return [m for member in union for m in _members(member, doc)]


def _types(node: dict[str, Any]) -> set[str]:
    if "type" in node:
        kind = node["type"]
        return set(kind) if isinstance(kind, list) else {kind}
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if values is not None:
        return {_json_type(v) for v in values}
    return {"any"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "any"


def _accepts(new: set[str], kind: str) -> bool:
    return "any" in new or kind in new or (kind == "integer" and "number" in new)


def _compare(old: Any, new: Any, key: str, docs: _Docs, out: list[Break]) -> None:
    old_members = _members(old, docs.old)
    new_members = _members(new, docs.new)
    new_types = set().union(*(_types(m) for m in new_members))
    for member in old_members:
        for kind in _types(member):
            if not _accepts(new_types, kind):
                out.append(Break(key or "(root)", f"type narrowed: {kind} no longer accepted"))
                continue
            match = next((m for m in new_members if _accepts(_types(m), kind)), None)
            if match is not None and kind != "any":
                _compare_one(member, match, key, docs, out)


def _compare_one(
    old: dict[str, Any], new: dict[str, Any], key: str, docs: _Docs, out: list[Break]
) -> None:
    where = key or "(root)"
    for word in _LOWER:
        if word in new and (word not in old or new[word] > old[word]):
            out.append(
                Break(where, f"{word} narrowed to {new[word]} (was {old.get(word, 'none')})")
            )
    for word in _UPPER:
        if word in new and (word not in old or new[word] < old[word]):
            out.append(
                Break(where, f"{word} narrowed to {new[word]} (was {old.get(word, 'none')})")
            )
    if "pattern" in new and new["pattern"] != old.get("pattern"):
        out.append(Break(where, f"pattern narrowed to {new['pattern']!r}"))
    if "enum" in new:
        lost = [v for v in old.get("enum", []) if v not in new["enum"]]
        if lost or "enum" not in old:
            out.append(Break(where, f"values no longer accepted: {lost or 'any but the listed'}"))
    _compare_object(old, new, key, docs, out)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        _compare(old["items"], new["items"], f"{key}[]", docs, out)
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        _compare(old_extra, new_extra, f"{key}.*" if key else "*", docs, out)
    elif old_extra is not False and new_extra is False and "properties" not in old:
        out.append(Break(where, "no longer accepts other keys"))


def _narrowed(word: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    return f"{word} narrowed to {new[word]} (was {old.get(word, 'none')})"


def _compare_object(
    old: dict[str, Any], new: dict[str, Any], key: str, docs: _Docs, out: list[Break]
) -> None:
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, schema in old_props.items():
        child = f"{key}.{name}" if key else name
        if name not in new_props:
            if new.get("additionalProperties") is not True:
                out.append(Break(child, "removed"))
            continue
        _compare(schema, new_props[name], child, docs, out)
    required_before = set(old.get("required", []))
    for name in new.get("required", []):
        if name not in required_before:
            child = f"{key}.{name}" if key else name
            out.append(Break(child, "new required field without a default"))
