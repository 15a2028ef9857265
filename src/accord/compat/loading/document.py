"""Reading an OpenAPI 3.0/3.1 document, JSON or YAML, and resolving its ``$ref``\\ s.

Every ``$ref`` is checked when the document is read (an unresolved one is a
:class:`SpecError`, not a surprise half-way through a diff) and rewritten to an absolute
form, ``<file>#<pointer>``, so that a reference inside a file that another file pulled
in still resolves against its own file. Relative file references (``schemas.yaml#/Pet``,
``./pet.json``) are read from disk next to the file that names them; remote ones
(``https://...``) are refused. Cycles are fine: references are followed lazily, when the
comparison reaches them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from accord.compat.types import SpecError

__all__ = ["Spec", "load", "parse", "ref_name"]

#: The C loader, several times faster on large documents, when PyYAML has it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MAIN = ""


class Spec:
    """A parsed OpenAPI document with every ``$ref`` checked and made absolute.

    ``root`` is the document; :meth:`deref` follows a node's references to what they
    name. ``source`` is how errors name the document.
    """

    def __init__(self, root: dict[str, Any], files: dict[str, Any], source: str) -> None:
        self.root = root
        self.source = source
        self._files = files
        self._targets: dict[str, Any] = {}

    @property
    def version(self) -> str:
        """The document's ``openapi`` version (``3.0.3``, ``3.1.0``)."""
        return str(self.root["openapi"])

    @property
    def info_version(self) -> str:
        """The API's own version, ``info.version`` (empty when missing)."""
        info = self.root.get("info")
        return str(info.get("version", "")) if isinstance(info, dict) else ""

    def target(self, ref: str) -> Any:
        """What the absolute reference ``ref`` names."""
        found = self._targets.get(ref)
        if found is None:
            file, _, pointer = ref.partition("#")
            found = self._targets[ref] = _pointer(self._files[file], pointer, ref, self.source)
        return found

    def deref(self, node: Any) -> Any:
        """``node``, or what its chain of ``$ref`` leads to (siblings of ``$ref`` dropped)."""
        seen: list[str] = []
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"{self.source}: circular $ref {ref}")
            seen.append(ref)
            node = self.target(ref)
        return node


def load(path: Path) -> Spec:
    """Read the document at ``path`` and the files its references name."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse(data, source=str(path), base=path.resolve())


def _found(root: object) -> str:
    """What a document that is not OpenAPI 3.0/3.1 is instead, in a few words."""
    if not isinstance(root, dict):
        kinds = {"list": "a list", "str": "a string", "NoneType": "empty"}
        name = type(root).__name__
        return f"the document is {kinds.get(name, name)}, not a map"
    if "swagger" in root:
        return f"swagger {root['swagger']}"
    if "openapi" not in root:
        return "no `openapi` field"
    return f"openapi {root['openapi']!r}"


def parse(data: bytes, *, source: str, base: Path | None = None) -> Spec:
    """Parse a document given as bytes; ``base`` is its path, for relative references."""
    root, with_refs = _decode(data, source)
    version = root.get("openapi") if isinstance(root, dict) else None
    if not isinstance(version, str) or not version.startswith(("3.0", "3.1")):
        raise SpecError(f"{source}: not an OpenAPI 3.0 or 3.1 document ({_found(root)})")
    paths = root.get("paths", {})
    if not isinstance(paths, dict):
        raise SpecError(f"{source}: `paths` is not a map")
    loader = _Bundler(source, base)
    loader.files[_MAIN] = loader.absolute(root, with_refs, _MAIN)
    spec = Spec(loader.files[_MAIN], loader.files, source)
    for ref in loader.refs:
        spec.target(ref)
    return spec


def _decode(data: bytes, source: str) -> tuple[Any, list[dict[str, Any]] | None]:
    """The decoded document, and for JSON every object that has a ``$ref`` (found while
    decoding, which spares walking the tree); ``None`` for YAML, which is walked."""
    text = data.decode("utf-8-sig", errors="replace")
    if text.lstrip().startswith("{"):
        with_refs: list[dict[str, Any]] = []

        def note(obj: dict[str, Any]) -> dict[str, Any]:
            if "$ref" in obj:
                with_refs.append(obj)
            return obj

        try:
            return json.loads(text, object_hook=note), with_refs
        except ValueError:
            pass  # YAML's flow style also starts with a brace
    try:
        return yaml.load(text, Loader=_Loader), None  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise SpecError(f"{source}: not valid YAML or JSON{where}: {problem}") from None


class _Bundler:
    """Walks a document, loading the files its references name and making them absolute."""

    def __init__(self, source: str, base: Path | None) -> None:
        self.source = source
        self.base = base
        self.files: dict[str, Any] = {}
        self.paths: dict[str, Path | None] = {_MAIN: base}
        self.refs: list[str] = []

    def absolute(self, node: Any, with_refs: list[dict[str, Any]] | None, file: str) -> Any:
        """Make every ``$ref`` of a decoded file absolute; ``with_refs`` lists the objects
        that have one when decoding found them, else the tree is walked."""
        if with_refs is None:
            return self.walk(node, file)
        for obj in with_refs:
            ref = obj["$ref"]
            if isinstance(ref, str):
                obj["$ref"] = self._absolute(ref, file)
        return node

    def walk(self, node: Any, file: str) -> Any:
        """Make every ``$ref`` under ``node`` absolute, in place, and return ``node``.

        The tree was just decoded and belongs to the loader, so it is changed where it
        stands rather than copied; a node YAML shares through an alias is seen once.
        """
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if isinstance(current, dict):
                ref = current.get("$ref")
                if isinstance(ref, str):
                    current["$ref"] = self._absolute(ref, file)
                odd_keys = False
                for key, value in current.items():
                    if type(value) is dict or type(value) is list:
                        stack.append(value)
                    if type(key) is not str:
                        odd_keys = True
                if odd_keys:
                    # YAML reads `200:` as an int: every key is a string in OpenAPI
                    items = list(current.items())
                    current.clear()
                    current.update((k if isinstance(k, str) else str(k), v) for k, v in items)
            else:
                stack.extend(v for v in current if type(v) is dict or type(v) is list)
        return node

    def _absolute(self, ref: str, file: str) -> str:
        location, _, pointer = ref.partition("#")
        if not location:
            absolute = f"{file}#{pointer}"
        else:
            if "://" in location:
                raise SpecError(f"{self.source}: remote $ref {ref} is not supported")
            here = self.paths.get(file)
            if here is None:
                raise SpecError(
                    f"{self.source}: $ref {ref} names a file, but the document has no folder"
                )
            target = (here.parent / unquote(location)).resolve()
            key = str(target)
            if key not in self.files:
                self.files[key] = None  # reserve it: files may refer to each other
                self.paths[key] = target
                try:
                    raw = target.read_bytes()
                except OSError:
                    raise SpecError(
                        f"{self.source}: unresolved $ref {ref} (no file {target})"
                    ) from None
                self.files[key] = self.absolute(*_decode(raw, str(target)), key)
            absolute = f"{key}#{pointer}"
        self.refs.append(absolute)
        return absolute


def _pointer(doc: Any, pointer: str, ref: str, source: str) -> Any:
    node = doc
    if pointer in ("", "/"):
        return node
    for raw in pointer.lstrip("/").split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SpecError(f"{source}: unresolved $ref {ref}")
    return node


def ref_name(ref: str) -> str:
    """The last segment of a reference: the component's name (``Pet``)."""
    return ref.rsplit("/", 1)[-1]
