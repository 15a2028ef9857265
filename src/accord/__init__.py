"""accord: microservices with clear boundaries and reliable interfaces.

Declare a :class:`Contract` with :func:`operation`; serve an implementation of it with
:class:`App` (run it with :func:`serve`); call it with ``Contract.client(url)``. Errors
are declared :class:`ServiceError` values; :class:`Telemetry` holds a service's tracer,
metrics and logger.
"""

from typing import TYPE_CHECKING, Any

from accord._lazy import exports
from accord.contract import BoundOperation, Contract, Idempotency, Operation, operation
from accord.contract.binding import Caller, install_connector
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

if TYPE_CHECKING:
    from accord.observability.telemetry import Telemetry
    from accord.runtime import App, serve

__version__ = "0.1.0"

# The runtime and telemetry load on first use, so that importing a contract (which a
# client-only consumer does) does not load a server, a tracer or a metrics registry.
_LAZY = {
    "App": "accord.runtime",
    "serve": "accord.runtime",
    "Telemetry": "accord.observability.telemetry",
}


def _connect(contract: type[Contract], base_url: str, **options: Any) -> Caller:
    """``Contract.client``'s caller: accord's HTTP client, loaded on the first client."""
    from accord.client.core import ClientCore

    return ClientCore(contract, base_url, **options)


install_connector(_connect)


__getattr__ = exports(__name__, _LAZY)


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
