"""The comparison of two documents, from the top."""

from __future__ import annotations

from accord.compat.comparing.callbacks import compare_webhooks
from accord.compat.comparing.context import Context
from accord.compat.comparing.extensions import compare_catalogue
from accord.compat.comparing.operations import compare_operations, operations
from accord.compat.comparing.security import compare_schemes
from accord.compat.comparing.servers import compare_servers
from accord.compat.loading.document import Spec
from accord.compat.types import Change

__all__ = ["diff"]


def diff(base: Spec, revision: Spec) -> list[Change]:
    """Every change from ``base`` to ``revision``, in a stable order.

    The order is by operation (document-wide findings first), then location, path and
    rule id, so the same pair of documents always gives the same list.
    """
    ctx = Context(base, revision)
    compare_operations(ctx)
    compare_webhooks(ctx)
    if _inherits_servers(base) and _inherits_servers(revision):
        compare_servers(ctx, "", base.root.get("servers"), revision.root.get("servers"))
    compare_schemes(ctx)
    compare_catalogue(ctx)
    return sorted(set(ctx.changes), key=Change.sort_key)


def _inherits_servers(spec: Spec) -> bool:
    """Whether some operation is served at the document's ``servers`` (or it has none).

    When every operation names its own (or its path item's), the document's list is not
    used, and what changed is compared operation by operation instead.
    """
    found = operations(spec)
    return not found or any(
        "servers" not in op and "servers" not in item for _, op, item in found.values()
    )
