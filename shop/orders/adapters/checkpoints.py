"""Checkpoints around the idempotency layer: where a test build of orders may die.

A :class:`CheckpointLayer` calls the placement's checkpoint with ``before_claim`` before
the request reaches the idempotency layer (placed outside it) or with ``answered`` once
the handler has answered and before the layer stores the answer (placed inside it).
Orders wears these layers only when a checkpoint is given (never by default).
"""

from __future__ import annotations

from typing import Any

from accord.contract import Idempotency, Operation
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response
from shop.orders.application.services import Checkpoint

__all__ = ["CheckpointLayer"]


class CheckpointLayer:
    """Calls ``checkpoint(step)`` ``before`` or after each keyed operation's handler."""

    def __init__(self, checkpoint: Checkpoint, step: str, *, before: bool) -> None:
        self._checkpoint = checkpoint
        self._step = step
        self._before = before

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """``handler`` with the checkpoint around it (keyed operations only)."""
        if operation.idempotency is not Idempotency.REQUIRES_KEY:
            return handler
        checkpoint, step, before = self._checkpoint, self._step, self._before

        async def checked(request: Request) -> Response:
            if before:
                checkpoint(step)
            response = await handler(request)
            if not before:
                checkpoint(step)
            return response

        return checked
