"""Comparing two schemas, in normal form, from the point of view of their reader.

The result is a list of findings ``(kind, path, message)``: ``kind`` is one of
:data:`accord.compat.catalogue.schema_rules.KINDS`, ``path`` is relative to the schema compared
(``.items[].sku``). The caller turns a kind into the rule of the place the schema sits.

Comparisons are remembered per pair of schemas and side, so a component referenced by a
thousand operations is compared once; a pair met again while it is being compared (a
recursive schema) adds nothing more. So a change behind a cycle of references is
reported along the paths of the first operation that reaches it (each path is a place
clients read, and a dense cycle has very many), not along every path of every
operation. Schemas written alike whose
references all name alike schemas are not compared at all.
"""

from __future__ import annotations

from typing import Any

from accord.compat.loading.document import ref_name
from accord.compat.schemas.keyword_diff import compare_extra
from accord.compat.schemas.normal_form import Shape, Shapes, canonical
from accord.compat.schemas.value_diff import (
    bound_change,
    changed,
    count_change,
    discriminator_change,
    enum_change,
    multiple_change,
    type_change,
)
from accord.compat.types import Side, SpecError

__all__ = ["DEFAULT_KINDS", "Finding", "SchemaDiff"]

Finding = tuple[str, str, str]
Key = tuple[int, int, Side]

_EMPTY: dict[str, Any] = {}
#: Findings about ``default``, which mean nothing where a value is always sent.
DEFAULT_KINDS = frozenset({"default-added", "default-changed", "default-removed"})


class SchemaDiff:
    """Compares schemas of a base document with those of a revision."""

    def __init__(self, base: Shapes, revision: Shapes) -> None:
        self.base = base
        self.rev = revision
        self._memo: dict[Key, list[Finding]] = {}
        #: pairs being compared, by their depth; ``_cut`` is the shallowest of them that
        #: a recursive schema led back to (results below it are not final until it is)
        self._active: set[Key] = set()
        self._same_refs: dict[str, bool] = {}

    def compare(self, before: Any, after: Any, side: Side) -> list[Finding]:
        """Findings between schema ``before`` (base) and ``after`` (revision)."""
        key = (self.base.key(before), self.rev.key(after), side)
        found = self._memo.get(key)
        if found is not None:
            return found
        if key in self._active:
            return []
        self._active.add(key)
        try:
            out: list[Finding] = []
            if not self._same(before, after):
                b, r = self.base.of(before), self.rev.of(after)
                if not self._wrapping(b, r, side, out):
                    self._shapes(b, r, side, out)
        finally:
            self._active.discard(key)
        self._memo[key] = out
        return out

    # -- identical schemas: most of a revision is the base again ------------------------

    def _same(self, before: Any, after: Any) -> bool:
        """Whether two schemas are written alike and every ``$ref`` in them names alike
        written schemas in both documents: then nothing changed and nothing is built."""
        return before == after and all(self._same_ref(ref) for ref in _refs(before))

    def _same_ref(self, ref: str) -> bool:
        """Whether ``ref`` names alike written schemas in both documents, and so does
        every reference reachable from them (the result is exact, so it is kept)."""
        known = self._same_refs.get(ref)
        if known is not None:
            return known
        seen: set[str] = set()
        stack = [ref]
        same = True
        while stack and same:
            current = stack.pop()
            if current in seen or self._same_refs.get(current) is True:
                continue
            seen.add(current)
            try:
                b, r = self.base.spec.target(current), self.rev.spec.target(current)
            except (SpecError, KeyError):  # the reference is not in the revision
                same = False
                break
            if self._same_refs.get(current) is False or b != r:
                same = False
            else:
                stack.extend(_refs(b))
        self._same_refs[ref] = same
        return same

    def _child(self, before: Any, after: Any, side: Side, prefix: str, out: list[Finding]) -> None:
        for kind, path, message in self.compare(before, after, side):
            out.append((kind, prefix + path, message))

    # -- a schema rewritten as one branch of a oneOf/anyOf, or back ----------------------

    def _wrapping(self, b: Shape, r: Shape, side: Side, out: list[Finding]) -> bool:
        """``string`` → ``oneOf[string, integer]`` (or back): one finding, not noise.

        The plain schema is matched with the branch closest to it (fewest differences);
        what differs between them is reported under that branch's path. Returns whether
        the pair was such a rewrite.
        """
        if bool(b.variants) == bool(r.variants):
            return False
        wrapped = bool(r.variants)
        branchy = r if wrapped else b
        if branchy.properties or not (branchy.types_from_variants or branchy.types is None):
            return False  # the oneOf sits beside keywords of its own: compare as usual
        plain = b if wrapped else r
        if plain.types is None:
            return False  # an unconstrained schema cannot widen into branches
        keyword = branchy.variant_keyword
        best: tuple[int, str, list[Finding]] | None = None
        shapes = self.rev if wrapped else self.base
        for label, node in _labelled(branchy.variants, shapes).items():
            if not _overlap(plain, shapes.of(node)):
                continue
            found = (
                self._pair_nodes(plain, node, side)
                if wrapped
                else self._pair_nodes_back(node, plain, side)
            )
            if best is None or len(found) < best[0]:
                best = (len(found), label, found)
        if best is None:
            return False
        _, label, found = best
        if wrapped:
            out.append(("wrapped-in-one-of", "", f"became one branch of a `{keyword}`"))
        else:
            out.append(
                ("unwrapped-from-one-of", "", f"reduced from a `{keyword}` to one of its branches")
            )
        out.extend(
            (kind, f"<{keyword}:{label}>{path}", message)
            for kind, path, message in found
            if not (path == "" and kind.startswith("nullable-"))
        )
        discriminator_change(b, r, out)
        if b.nullable != r.nullable:
            now = r.nullable
            out.append(
                (
                    "nullable-added" if now else "nullable-removed",
                    "",
                    "null became valid" if now else "null is no longer valid",
                )
            )
        return True

    def _pair_nodes(self, plain: Shape, branch: Any, side: Side) -> list[Finding]:
        out: list[Finding] = []
        self._shapes(plain, self.rev.of(branch), side, out)
        return out

    def _pair_nodes_back(self, branch: Any, plain: Shape, side: Side) -> list[Finding]:
        out: list[Finding] = []
        self._shapes(self.base.of(branch), plain, side, out)
        return out

    # -- one pair of shapes --------------------------------------------------------------

    def _shapes(self, b: Shape, r: Shape, side: Side, out: list[Finding]) -> None:
        if not (b.types_from_variants and r.types_from_variants):
            # otherwise the branches are compared one by one below
            type_change(b, r, out)
            if b.nullable and not r.nullable:
                out.append(("nullable-removed", "", "null is no longer valid"))
            elif r.nullable and not b.nullable:
                out.append(("nullable-added", "", "null became valid"))
        enum_change(b, r, out)
        changed(out, "format", b.format, r.format)
        if b.allows("number", "integer") and r.allows("number", "integer"):
            bound_change(out, "minimum", b.minimum, r.minimum, lower=True)
            bound_change(out, "maximum", b.maximum, r.maximum, lower=False)
            multiple_change(out, b.multiple_of, r.multiple_of)
        if b.allows("string") and r.allows("string"):
            for kw in ("minLength", "maxLength"):
                count_change(out, kw, b.counts.get(kw), r.counts.get(kw))
            changed(out, "pattern", b.pattern, r.pattern)
        if b.allows("array") and r.allows("array"):
            for kw in ("minItems", "maxItems"):
                count_change(out, kw, b.counts.get(kw), r.counts.get(kw))
            if b.unique != r.unique:
                kind = "unique-items-added" if r.unique else "unique-items-removed"
                out.append((kind, "", "items must be unique" if r.unique else "items may repeat"))
            if b.items is not None or r.items is not None:
                self._child(_or_any(b.items), _or_any(r.items), side, "[]", out)
        if b.allows("object") and r.allows("object"):
            for kw in ("minProperties", "maxProperties"):
                count_change(out, kw, b.counts.get(kw), r.counts.get(kw))
            self._properties(b, r, side, out)
            self._additional(b.additional, r.additional, side, out)
        self._variants(b, r, side, out)
        discriminator_change(b, r, out)
        if b.default != r.default:
            if b.default is None:
                out.append(("default-added", "", f"default {r.default} set"))
            elif r.default is None:
                out.append(("default-removed", "", f"default {b.default} removed"))
            else:
                out.append(("default-changed", "", f"default {b.default} → {r.default}"))
        if (b.not_ is None) != (r.not_ is None):
            kind = "not-added" if r.not_ is not None else "not-removed"
            out.append((kind, "", "`not` " + ("added" if r.not_ is not None else "removed")))
        elif b.not_ is not None and canonical(b.not_) != canonical(r.not_):
            out.append(("not-changed", "", "the `not` subschema changed"))
        if b.deprecated != r.deprecated:
            kind = "schema-deprecated" if r.deprecated else "schema-undeprecated"
            out.append((kind, "", "deprecated" if r.deprecated else "no longer deprecated"))
        if b.extra is not None or r.extra is not None:
            compare_extra(b, r, side, out, self._child)

    def _properties(self, b: Shape, r: Shape, side: Side, out: list[Finding]) -> None:
        hidden = "read_only" if side is Side.REQUEST else "write_only"
        names = list(b.properties) + [n for n in r.properties if n not in b.properties]
        for name in names:
            path = f".{name}"
            bn, rn = b.properties.get(name), r.properties.get(name)
            bs = self.base.of(bn) if bn is not None else None
            rs = self.rev.of(rn) if rn is not None else None
            b_req = name in b.required and not (bs is not None and getattr(bs, hidden))
            r_req = name in r.required and not (rs is not None and getattr(rs, hidden))
            if bs is None and rs is not None:
                if not getattr(rs, hidden):
                    kind = "required-property-added" if r_req else "property-added"
                    out.append((kind, path, f"property {name!r} added"))
                continue
            if rs is None and bs is not None:
                if not getattr(bs, hidden):
                    kind = "required-property-removed" if b_req else "property-removed"
                    out.append((kind, path, f"property {name!r} removed"))
                continue
            assert bs is not None and rs is not None
            if _flags(bs, rs, path, out, side):
                continue
            if getattr(bs, hidden):
                continue  # not part of this side, before or after
            if r_req and not b_req:
                out.append(("property-became-required", path, f"{name!r} became required"))
            elif b_req and not r_req:
                out.append(("property-became-optional", path, f"{name!r} became optional"))
            if b_req and r_req:
                # a default means nothing for a property that is always present
                found: list[Finding] = []
                self._child(bn, rn, side, path, found)
                out.extend(f for f in found if not (f[1] == path and f[0] in DEFAULT_KINDS))
            else:
                self._child(bn, rn, side, path, out)

    def _additional(self, b: Any, r: Any, side: Side, out: list[Finding]) -> None:
        if b is r or (b is True and r is True):
            return
        if b is False and r is False:
            return
        if b is False or r is True:
            out.append(("additional-properties-widened", "", "more properties are allowed"))
        elif r is False or b is True:
            out.append(("additional-properties-narrowed", "", "fewer properties are allowed"))
        else:
            self._child(b, r, side, ".*", out)

    def _variants(self, b: Shape, r: Shape, side: Side, out: list[Finding]) -> None:
        if not b.variants and not r.variants:
            return
        before = _labelled(b.variants, self.base)
        after = _labelled(r.variants, self.rev)
        pairs: list[tuple[str, Any, Any]] = []
        for label in list(before):
            if label in after and not label.isdigit():
                pairs.append((label, before.pop(label), after.pop(label)))
        # the same branch, moved: equal branches pair whatever their position
        for label in list(before):
            for other in list(after):
                if not self.compare(before[label], after[other], side):
                    pairs.append((other, before.pop(label), after.pop(other)))
                    break
        # a branch that changed: the closest one of an overlapping JSON type
        for label in list(before):
            best: tuple[int, str] | None = None
            for other in after:
                if not (label.isdigit() or other.isdigit()) or not _overlap(
                    self.base.of(before[label]), self.rev.of(after[other])
                ):
                    continue
                n = len(self.compare(before[label], after[other], side))
                if best is None or n < best[0]:
                    best = (n, other)
            if best is not None:
                pairs.append((best[1], before.pop(label), after.pop(best[1])))
        keyword = r.variant_keyword or b.variant_keyword
        for label in before:
            out.append(("variant-removed", f"<{keyword}:{label}>", f"{keyword} branch removed"))
        for label in after:
            out.append(("variant-added", f"<{keyword}:{label}>", f"{keyword} branch added"))
        for label, bn, rn in pairs:
            self._child(bn, rn, side, f"<{keyword}:{label}>", out)


def _refs(node: Any) -> list[str]:
    """Every ``$ref`` string inside ``node``."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is dict:
            ref = current.get("$ref")
            if type(ref) is str:
                found.append(ref)
            stack.extend(v for v in current.values() if type(v) is dict or type(v) is list)
        elif type(current) is list:
            stack.extend(v for v in current if type(v) is dict or type(v) is list)
    return found


def _overlap(a: Shape, b: Shape) -> bool:
    """Whether some JSON type is valid for both (``integer`` counts as a ``number``)."""
    if a.types is None or b.types is None:
        return True
    return bool(
        a.types & b.types
        or ("integer" in a.types and "number" in b.types)
        or ("number" in a.types and "integer" in b.types)
    )


def _labelled(variants: tuple[Any, ...], shapes: Shapes) -> dict[str, Any]:
    """Branches by label: the component name of a ``$ref``, otherwise the position."""
    out: dict[str, Any] = {}
    for i, node in enumerate(variants):
        ref = node.get("$ref") if isinstance(node, dict) else None
        label = ref_name(ref) if isinstance(ref, str) else str(i)
        out[label if label not in out else f"{label}#{i}"] = node
    return out


def _flags(b: Shape, r: Shape, path: str, out: list[Finding], side: Side) -> bool:
    """readOnly/writeOnly changes; True when the property left or joined this side."""
    moved = False
    for attr, on, off in (
        ("read_only", "property-became-read-only", "property-became-writable"),
        ("write_only", "property-became-write-only", "property-became-readable"),
    ):
        was, now = getattr(b, attr), getattr(r, attr)
        if was != now:
            out.append((on if now else off, path, f"{attr.replace('_', '')} {now}"))
            hidden = "read_only" if side is Side.REQUEST else "write_only"
            moved = moved or attr == hidden
    return moved


def _or_any(node: Any) -> Any:
    return _EMPTY if node is None else node
