"""Typed clients: the HTTP side of a contract.

``Inventory.client(url)`` builds a :class:`ClientCore` and wraps it in the contract
class, so ``await client.reserve(ReserveStock(...))`` is typed ``-> Reservation``. The
core owns one ``httpx.AsyncClient`` (the transport is injectable), bounds every call in
time, propagates the correlation id and W3C trace context, records one CLIENT span and
one duration sample per call, and turns every answer into either the typed response or
an error from :mod:`accord.errors`:

- 2xx JSON that fits the schema: the response struct;
- a problem document with a code the operation declares: that ``ServiceError`` class,
  with its typed ``info``;
- a problem with another code, or an error without a problem body: ``RemoteError``;
- a 2xx that breaks the contract: ``UnexpectedResponse``;
- no response at all: ``TransportError``, or ``Timeout`` when the time ran out.

Around the exchanges it applies the call's deadline (sent as ``accord-timeout``), retries
the calls that are safe to repeat, and guards each downstream with a circuit breaker, a
retry budget and a bulkhead shared by every client of that downstream in the process;
:func:`stats` reads their figures. An ``auth`` hook (:class:`BearerAuth`) sends the
calling service's own token with every call and drops it after a 401.
"""

from typing import Any

from accord.client.auth import BearerAuth, ClientAuth, TokenSource, TokenUnavailable
from accord.client.core import ClientCore
from accord.client.defaults import DEFAULT_BREAKER, DEFAULT_BULKHEAD, DEFAULT_RETRY
from accord.client.downstream import DownstreamStats, stats
from accord.contract import Contract

__all__ = [
    "DEFAULT_BREAKER",
    "DEFAULT_BULKHEAD",
    "DEFAULT_RETRY",
    "BearerAuth",
    "ClientAuth",
    "ClientCore",
    "DownstreamStats",
    "TokenSource",
    "TokenUnavailable",
    "reconfigure",
    "stats",
]


def reconfigure(client: Contract, **changes: Any) -> None:
    """Give a typed client new ``retry`` and/or ``breaker`` figures
    (:meth:`ClientCore.reconfigure`), e.g. when its service's settings reload."""
    core = client._core
    if not isinstance(core, ClientCore):  # a connector other than accord's built it
        raise TypeError(f"{type(client).__name__}'s client is not accord's ClientCore")
    core.reconfigure(**changes)
