"""A rate limit per caller on the operations that need one (login, placing an order).

:class:`RateLimit` is a layer (:mod:`accord.runtime.layers`): it wraps only the
operations it names and leaves every other one untouched::

    limit = RateLimit({"login": Rate(5, per=60.0), "place_order": Rate(10, per=1.0, burst=20)})
    app = App(Orders, service, layers=[authentication, limit])

Each caller has a token bucket per operation: it holds ``burst`` tokens, refills at
``count / per`` tokens a second, and a request takes one. An empty bucket answers 429
``rate_limited`` with ``Retry-After``: the whole seconds until the next token.

The caller is the request's principal (``request.principal.subject``, set by an
authentication layer listed before this one) or, on an open operation, the client's
address. Buckets live in a least-recently-used map of at most ``max_callers`` entries
per operation, so a flood of distinct callers costs bounded memory: a caller pushed out
comes back with a full bucket, which is the price of the bound.

The rates may also be a getter, read on every request, when they follow live
configuration (:mod:`accord.config.live`): every operation is then wrapped, and a
changed rate re-tunes its buckets (a caller keeps the tokens it has, up to the new
capacity).

Rates read from configuration (an environment variable, a settings file) are written
``name=COUNT/PERIOD[:BURST]``, comma-separated, the period in seconds or with a unit
(``s``, ``m``, ``h``): ``RateLimit.parse("identity.login=5/1m,place_order=10/1s:20")``.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from accord.contract import Operation
from accord.errors import ContractError, TooManyRequests
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response

__all__ = ["Rate", "RateLimit", "TokenBuckets", "caller_key", "parse_rate"]


class Rate(msgspec.Struct, frozen=True):
    """``count`` requests every ``per`` seconds, with room for ``burst`` at once.

    ``burst`` defaults to ``count``: a caller idle long enough may spend a whole
    period's allowance at once, then waits for tokens to come back.
    """

    count: int
    per: float = 1.0
    burst: int | None = None

    def __post_init__(self) -> None:
        if self.count < 1 or self.per <= 0 or (self.burst is not None and self.burst < 1):
            raise ContractError("a rate needs count >= 1, per > 0 and burst >= 1")

    @property
    def capacity(self) -> float:
        """The tokens a full bucket holds."""
        return float(self.burst if self.burst is not None else self.count)

    @property
    def per_second(self) -> float:
        """Tokens added each second."""
        return self.count / self.per


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([smh]?)\s*(?::\s*(\d+))?\s*$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate(text: str) -> Rate:
    """``"10/1s"``, ``"5/m"``, ``"100/1h:20"`` (count / period, then ``:burst``) as a Rate.

    Raises :class:`~accord.errors.ContractError` naming what is wrong.
    """
    match = _RATE.match(text)
    if match is None:
        raise ContractError(f"rate {text!r} is not COUNT/PERIOD[:BURST], e.g. 10/1s or 5/1m:10")
    count, period, unit, burst = match.groups()
    per = float(period or 1) * _UNITS[unit]
    return Rate(int(count), per=per, burst=int(burst) if burst else None)


class TokenBuckets:
    """Token buckets by caller key, for one rate; at most ``max_keys`` of them.

    ``take(key)`` returns 0.0 when a token was taken, or else the seconds until one
    will be there. ``clock`` is monotonic seconds (injectable for tests).
    """

    def __init__(
        self, rate: Rate, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_keys < 1:
            raise ContractError("max_keys must be at least 1")
        self.rate = rate
        self._capacity = rate.capacity
        self._refill = rate.per_second
        self._max_keys = max_keys
        self._clock = clock
        # key → (tokens, when they were counted)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def retune(self, rate: Rate) -> None:
        """Refill at ``rate`` from now on; tokens held are capped at its capacity."""
        self.rate = rate
        self._capacity = rate.capacity
        self._refill = rate.per_second

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when there was one, else seconds to wait."""
        now = self._clock()
        buckets = self._buckets
        state = buckets.get(key)
        if state is None:
            tokens = self._capacity
            if len(buckets) >= self._max_keys:
                buckets.popitem(last=False)
        else:
            tokens = min(self._capacity, state[0] + (now - state[1]) * self._refill)
            buckets.move_to_end(key)
        if tokens >= 1.0:
            buckets[key] = (tokens - 1.0, now)
            return 0.0
        buckets[key] = (tokens, now)
        return (1.0 - tokens) / self._refill


def caller_key(request: Request) -> str:
    """Who the limit counts: the principal's subject, else the client address."""
    principal: Any = request.principal
    if principal is not None:
        subject = getattr(principal, "subject", None)
        if subject:
            return f"sub:{subject}"
    client = request.scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


class RateLimit:
    """A layer limiting each caller's rate on the operations ``rates`` names.

    ``rates`` maps an operation's name (``place_order``), or its name qualified by its
    contract's (``orders.place_order``, which wins), to a :class:`Rate`. An operation
    it does not name is served without the layer. The operations one name covers share
    their buckets: ``place_order`` in ``/v1`` and ``/v2`` is one allowance per caller.
    """

    def __init__(
        self,
        rates: Mapping[str, Rate] | Callable[[], Mapping[str, Rate]],
        *,
        max_callers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._live = rates if callable(rates) else None
        self._rates = {} if callable(rates) else dict(rates)
        self._buckets: dict[str, TokenBuckets] = {}
        self._max_callers = max_callers
        self._clock = clock

    @classmethod
    def parse(cls, spec: str, **options: Any) -> RateLimit:
        """The limit a configuration string describes (see the module docstring).

        An empty string limits nothing. ``options`` go to the constructor.
        """
        rates: dict[str, Rate] = {}
        for part in spec.split(","):
            if not part.strip():
                continue
            name, sep, rate = part.partition("=")
            if not sep or not name.strip():
                raise ContractError(f"rate limit {part.strip()!r} is not NAME=COUNT/PERIOD")
            rates[name.strip()] = parse_rate(rate)
        return cls(rates, **options)

    @property
    def rates(self) -> Mapping[str, Rate]:
        """The rate of each operation named (now)."""
        return dict(self._live() if self._live is not None else self._rates)

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """``handler`` behind a token bucket per caller, when ``operation`` is named."""
        qualified = f"{operation.contract.name}.{operation.name}"
        if self._live is not None:
            return self._wrap_live(operation, handler, qualified, self._live)
        key = qualified if qualified in self._rates else operation.name
        rate = self._rates.get(key)
        if rate is None:
            return handler
        # One set of buckets per name: the same operation in two major versions of a
        # contract (/v1 and /v2 of one app) shares its callers' buckets.
        buckets = self._buckets.get(key)
        if buckets is None:
            buckets = self._buckets[key] = TokenBuckets(
                rate, max_keys=self._max_callers, clock=self._clock
            )
        take = buckets.take
        name = operation.name

        async def limited(request: Request) -> Response:
            wait = take(caller_key(request))
            if wait:
                raise TooManyRequests(
                    f"too many {name} requests; try again in {math.ceil(wait)} s"
                ).with_header("Retry-After", str(max(1, math.ceil(wait))))
            return await handler(request)

        return limited

    def _wrap_live(
        self,
        operation: Operation[Any, Any],
        handler: Handler,
        qualified: str,
        current: Callable[[], Mapping[str, Rate]],
    ) -> Handler:
        """``handler`` behind the rate the getter names for each request, if any."""
        name = operation.name
        table = self._buckets

        async def limited(request: Request) -> Response:
            rates = current()
            key = qualified if qualified in rates else name
            rate = rates.get(key)
            if rate is None:
                return await handler(request)
            buckets = table.get(key)
            if buckets is None:
                buckets = table[key] = TokenBuckets(
                    rate, max_keys=self._max_callers, clock=self._clock
                )
            elif buckets.rate != rate:
                buckets.retune(rate)
            wait = buckets.take(caller_key(request))
            if wait:
                raise TooManyRequests(
                    f"too many {name} requests; try again in {math.ceil(wait)} s"
                ).with_header("Retry-After", str(max(1, math.ceil(wait))))
            return await handler(request)

        return limited
