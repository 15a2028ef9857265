"""The comparison of two documents, from the top."""

from __future__ import annotations

from accord.compat._callbacks import compare_webhooks
from accord.compat._context import Context
from accord.compat._extensions import compare_catalogue
from accord.compat._load import Spec
from accord.compat._operations import compare_operations
from accord.compat._security import compare_schemes
from accord.compat._servers import compare_servers
from accord.compat._types import Change

__all__ = ["diff"]


def diff(base: Spec, revision: Spec) -> list[Change]:
    """Every change from ``base`` to ``revision``, in a stable order.

    The order is by operation (document-wide findings first), then location, path and
    rule id, so the same pair of documents always gives the same list.
    """
    ctx = Context(base, revision)
    compare_operations(ctx)
    compare_webhooks(ctx)
    compare_servers(ctx, "", base.root.get("servers"), revision.root.get("servers"))
    compare_schemes(ctx)
    compare_catalogue(ctx)
    return sorted(set(ctx.changes), key=Change.sort_key)
