"""The client side of a contract: an operation bound to a connection, and the connector.

An instance of a contract is a typed client: ``Inventory.client(url)`` asks the
installed connector for a :class:`Caller` (accord's is ``accord.client.ClientCore``,
installed by the ``accord`` package when it is imported) and each operation, read from
the instance, is a :class:`BoundOperation` that sends through it. The contract never
imports the client: the client depends on the contract, not the other way round.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar, cast

import msgspec

from accord.errors import ContractError

__all__ = [
    "UNSET",
    "BoundOperation",
    "Caller",
    "Connector",
    "connect",
    "install_connector",
]

ReqT = TypeVar("ReqT", bound=msgspec.Struct)
RespT = TypeVar("RespT", bound=msgspec.Struct)


class _Unset(enum.Enum):
    UNSET = "UNSET"


#: Marks "use the operation's own default", distinct from ``None`` (which means "no limit").
UNSET = _Unset.UNSET


class Caller(Protocol):
    """What a typed client sends its operations through (``accord.client.ClientCore``)."""

    async def call(
        self,
        op: Any,
        request: Any,
        *,
        timeout: float | _Unset | None = UNSET,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send ``request`` as ``op`` and return the decoded response."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


#: Builds the caller of one contract at one base URL: ``(contract, base_url, **options)``.
Connector = Callable[..., Caller]

_installed: list[Connector] = []


def install_connector(connector: Connector) -> None:
    """Make ``connector`` the one :meth:`Contract.client` uses (the last installed wins)."""
    _installed[:] = [connector]


def connect(contract: type[Any], base_url: str, **options: Any) -> Caller:
    """The caller of ``contract`` at ``base_url``, from the installed connector."""
    if not _installed:  # pragma: no cover - the accord package installs one on import
        raise ContractError("no client connector is installed: import accord")
    return _installed[0](contract, base_url, **options)


class BoundOperation(Generic[ReqT, RespT]):
    """An operation bound to a client: ``await client.op(request)``."""

    __slots__ = ("_core", "operation")

    def __init__(self, op: Any, core: Caller) -> None:
        #: The :class:`~accord.contract.Operation` this sends.
        self.operation = op
        self._core = core

    async def __call__(
        self,
        request: ReqT,
        /,
        *,
        timeout: float | _Unset | None = UNSET,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RespT:
        """Call the operation; ``timeout`` overrides the operation's (``None``: no limit)."""
        response = await self._core.call(
            self.operation,
            request,
            timeout=timeout,
            idempotency_key=idempotency_key,
            headers=headers,
        )
        return cast(RespT, response)
