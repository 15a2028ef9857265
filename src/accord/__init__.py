"""accord: microservices with clear boundaries and reliable interfaces.

Declare a :class:`Contract`, serve an implementation of it with :class:`App`, call it
with ``Contract.client(url)``; errors are declared :class:`ServiceError` values.
"""

from accord.contract import BoundOperation, Contract, Idempotency, Operation, operation
from accord.errors import (
    AccordError,
    ClientError,
    ContractError,
    FieldError,
    RemoteError,
    ServiceError,
    Timeout,
    TransportError,
    UnexpectedResponse,
)

__all__ = [
    "AccordError",
    "BoundOperation",
    "ClientError",
    "Contract",
    "ContractError",
    "FieldError",
    "Idempotency",
    "Operation",
    "RemoteError",
    "ServiceError",
    "Timeout",
    "TransportError",
    "UnexpectedResponse",
    "operation",
]
