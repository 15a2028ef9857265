"""accord's own promises: the ``x-accord-*`` extensions of an operation and the catalogue.

``docs/contracts.md`` says what each extension means; here each is judged by what a
client built on the old document assumed.
"""

from __future__ import annotations

from typing import Any

from accord.compat.comparing.context import Context
from accord.compat.loading.document import Spec
from accord.compat.types import SpecError

__all__ = ["compare_catalogue", "compare_extensions"]

#: Idempotency levels from the safest to resend to the least safe.
_IDEMPOTENCY = {"read_only": 0, "idempotent": 1, "requires_key": 2}


def compare_extensions(ctx: Context, operation: str, b: dict[str, Any], r: dict[str, Any]) -> None:
    """Compare the ``x-accord-*`` extensions of one operation (absent ones are skipped)."""
    _idempotency(ctx, operation, b.get("x-accord-idempotency"), r.get("x-accord-idempotency"))
    _timeout(ctx, operation, b.get("x-accord-timeout"), r.get("x-accord-timeout"))
    _sets(ctx, operation, "x-accord-scopes", b, r, ("accord-scope-added", "accord-scope-removed"))
    _sets(
        ctx,
        operation,
        "x-accord-errors",
        b,
        r,
        ("accord-error-code-added", "accord-error-code-removed"),
    )
    _sets(
        ctx,
        operation,
        "x-accord-retryable-codes",
        b,
        r,
        ("accord-error-became-retryable", "accord-error-no-longer-retryable"),
    )


def compare_catalogue(ctx: Context) -> None:
    """Compare the document-wide error catalogue: a code must keep its status."""
    before = ctx.base.root.get("x-accord-errors")
    after = ctx.rev.root.get("x-accord-errors")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return
    for code in sorted(before.keys() & after.keys()):
        b, r = before[code], after[code]
        if not isinstance(b, dict) or not isinstance(r, dict):
            continue
        if b.get("status") != r.get("status"):
            ctx.add(
                "accord-error-status-changed",
                "",
                f"x-accord-errors {code}",
                f"{code}: status {b.get('status')} → {r.get('status')}",
            )
        b_info, r_info = _info(ctx.base, b), _info(ctx.rev, r)
        if b_info is not None and r_info is not None:
            # the error's typed info travels in problem documents: clients read it
            ctx.schema(b_info, r_info, "response-body", "", f"x-accord-errors {code} info")


def _info(spec: Spec, entry: dict[str, Any]) -> Any:
    """The schema an error's ``info`` names (``#/components/schemas/OutOfStockInfo``)."""
    pointer = entry.get("info")
    if not isinstance(pointer, str) or not pointer.startswith("#/"):
        return None
    try:
        return spec.target(pointer)
    except SpecError:
        return None


def _idempotency(ctx: Context, operation: str, b: Any, r: Any) -> None:
    if b not in _IDEMPOTENCY or r not in _IDEMPOTENCY or b == r:
        return
    rule = (
        "accord-idempotency-weakened"
        if _IDEMPOTENCY[r] > _IDEMPOTENCY[b]
        else "accord-idempotency-strengthened"
    )
    ctx.add(rule, operation, "x-accord-idempotency", f"idempotency {b} → {r}")


def _timeout(ctx: Context, operation: str, b: Any, r: Any) -> None:
    if not isinstance(b, int | float) or not isinstance(r, int | float) or b == r:
        return
    rule = "accord-timeout-shortened" if r < b else "accord-timeout-lengthened"
    ctx.add(rule, operation, "x-accord-timeout", f"timeout {b}s → {r}s")


def _sets(
    ctx: Context,
    operation: str,
    key: str,
    b: dict[str, Any],
    r: dict[str, Any],
    rules: tuple[str, str],
) -> None:
    before, after = b.get(key), r.get(key)
    if not isinstance(before, list) or not isinstance(after, list):
        return
    added = sorted(set(map(str, after)) - set(map(str, before)))
    removed = sorted(set(map(str, before)) - set(map(str, after)))
    if added:
        ctx.add(rules[0], operation, key, f"added: {', '.join(added)}")
    if removed:
        ctx.add(rules[1], operation, key, f"removed: {', '.join(removed)}")
