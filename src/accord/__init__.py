"""accord: microservices with clear boundaries and reliable interfaces.

Declare a :class:`Contract` with :func:`operation`; serve an implementation of it with
:class:`App` (run it with :func:`serve`); call it with ``Contract.client(url)``. Errors
are declared :class:`ServiceError` values; :class:`Telemetry` holds a service's tracer,
metrics and logger.
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
from accord.observability.telemetry import Telemetry
from accord.runtime import App, serve

__version__ = "0.1.0"

__all__ = [
    "AccordError",
    "App",
    "BoundOperation",
    "ClientError",
    "Contract",
    "ContractError",
    "FieldError",
    "Idempotency",
    "Operation",
    "RemoteError",
    "ServiceError",
    "Telemetry",
    "Timeout",
    "TransportError",
    "UnexpectedResponse",
    "__version__",
    "operation",
    "serve",
]
