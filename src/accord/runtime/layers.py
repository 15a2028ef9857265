"""Layers: what an app does around every operation it serves, chosen at start-up.

A layer wraps the handler of each operation once, when the app mounts it, and may
keep that handler unchanged when it has nothing to do for the operation (an
authentication layer for an operation without scopes, an idempotency layer for one
that takes no key). Layers run outermost first, in the order the app lists them::

    app = App(Orders, service, layers=[shedding, authentication, deadlines, idempotency])

A layer reads what it needs from the request itself: the request headers it reads it
names in ``reads`` (lower-case bytes), and the pipeline picks those out of the raw
header list in the one pass it makes anyway, so ``request.header(name)`` is a dict
lookup. A layer without ``reads`` still gets any header, by a scan of the list. The
pipeline knows no layer: adding one means writing it and listing it, nothing else.

A layer refuses a request by raising a standard :class:`~accord.errors.ServiceError`
(``Unauthenticated``, ``TooManyRequests``…); the pipeline turns it into problem+json
with the error's own headers (``WWW-Authenticate``, ``Retry-After``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from accord.contract import Operation
from accord.runtime.requests import Request
from accord.runtime.responses import Response

__all__ = ["Handler", "Layer", "compose", "reads_of"]

#: Answers one request of an operation.
Handler = Callable[[Request], Awaitable[Response]]


class Layer(Protocol):
    """Wraps the handler of one operation (see the module docstring).

    It may also have ``reads``: the request headers it reads (lower-case bytes).
    """

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """The handler to serve ``operation`` with: ``handler`` itself, or one around it."""
        ...


def reads_of(*parts: object) -> frozenset[bytes]:
    """Every request header the given layers and handlers declare in ``reads``."""
    names: set[bytes] = set()
    for part in parts:
        names.update(getattr(part, "reads", ()))
    return frozenset(names)


def compose(layers: Sequence[Layer], operation: Operation[Any, Any], handler: Handler) -> Handler:
    """``handler`` wrapped by ``layers``, the first of them outermost."""
    for layer in reversed(layers):
        handler = layer.wrap(operation, handler)
    return handler
