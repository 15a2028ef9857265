"""Idempotency keys on the server, as the IETF httpapi ``Idempotency-Key`` draft describes.

For each ``requires_key`` operation the :class:`IdempotencyLayer` makes a retry safe:

1. the request's key is *claimed* in a store, atomically, under the caller's scope (the
   authenticated principal's ``subject``, else ``"anonymous"``) with a fingerprint of the
   request (SHA-256 of method, path, query and body);
2. the handler runs once; its first completed answer — status, content type, the
   operation's own headers and the body, problem documents included — is stored;
3. a retry with the same key and the same request gets the stored answer byte-for-byte,
   with ``Idempotency-Replayed: true``; the handler is not called again.

Refusals:

- the same key with a different request: 422 ``idempotency_key_reused``;
- the same key while the first request is still running: 409 ``idempotency_key_in_use``
  with ``Retry-After: 1``;
- a missing or malformed key: 400 ``idempotency_key_required`` (the endpoint's own check;
  this layer lets such a request through untouched).

Answers that say "try again" — any 5xx, 429 — are not stored: the claim is released, so a
retry runs the operation again and may succeed.

A claim carries a *lease* (twice the operation's timeout unless configured): a holder
that crashed, or whose request was cancelled at its deadline, stops blocking the key
once the lease runs out, and the next retry takes the claim over. Stored answers expire
after ``retention`` (24 h by default); an expired key is free again, and expired rows are
purged every ``purge_every`` seconds (and reclaimed whenever their key is used).

The store is the service's own database (:class:`accord.sql.SqlIdempotencyStore`); the
:class:`MemoryIdempotencyStore` twin serves tests and single-process tools.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from opentelemetry.trace import get_current_span

from accord.contract import Operation
from accord.contract.declaration import Idempotency as _Policy  # the layer had this name
from accord.errors import IdempotencyKeyInUse, IdempotencyKeyReused, ServiceError, Unavailable
from accord.observability.context import correlation_id
from accord.observability.telemetry import Telemetry
from accord.runtime.endpoint import deprecation_headers
from accord.runtime.layers import Handler
from accord.runtime.problems import problem_response
from accord.runtime.requests import Request
from accord.runtime.responses import Response
from accord.runtime.types import Headers, Receive

__all__ = [
    "ANONYMOUS",
    "DEFAULT_RETENTION",
    "REPLAYED_HEADER",
    "Claimed",
    "IdempotencyLayer",
    "IdempotencyStore",
    "InFlight",
    "MemoryIdempotencyStore",
    "Mismatch",
    "StoredResponse",
    "fingerprint",
    "retention_from_env",
    "scope_of",
]

#: How long a stored answer is replayed (seconds): 24 hours.
DEFAULT_RETENTION = 24 * 3600.0
#: The scope of keys sent by callers no authentication layer identified.
ANONYMOUS = "anonymous"
#: The environment variable setting the retention of every service of a host (seconds).
RETENTION_VARIABLE = "ACCORD_IDEMPOTENCY_RETENTION"
#: The header marking a replayed answer.
REPLAYED_HEADER = b"idempotency-replayed"
_REPLAYED: Headers = [(REPLAYED_HEADER, b"true")]
_KEY = re.compile(rb"[!-~]{1,255}")
_MAX_SCOPE = 200
_URI_SAFE = "/%:@!$&'()*+,;=-._~"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first completed answer to a key: replayed as it is to every retry."""

    status: int
    content_type: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key is this request's to answer; ``token`` proves it to the store."""

    token: str


@dataclass(frozen=True, slots=True)
class InFlight:
    """Another request holds the key and has not answered yet."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used for a different request."""


#: What claiming a key gives: the claim, the answer to replay, or a refusal.
ClaimOutcome = Claimed | StoredResponse | InFlight | Mismatch


class IdempotencyStore(Protocol):
    """Where keys are claimed and answers kept; every method is atomic.

    Times are wall-clock seconds (``time.time``), as several processes share the store.
    """

    async def claim(
        self, scope: str, key: str, fingerprint: str, *, now: float, lease: float, retention: float
    ) -> ClaimOutcome:
        """Claim ``key`` for a request, or say why not.

        A new key (or one whose answer expired) is claimed for ``lease`` seconds; a key
        with a stored answer gives it when ``fingerprint`` matches; a key claimed by a
        request still within its lease is :class:`InFlight`; a claim whose lease ran out
        is taken over. A different ``fingerprint`` is a :class:`Mismatch` either way.
        """
        ...

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, *, expires: float
    ) -> bool:
        """Store the answer of the claim ``token``; ``False`` when the claim was lost."""
        ...

    async def release(self, scope: str, key: str, token: str) -> None:
        """Forget the claim ``token`` that has no answer, so a retry may run again."""
        ...

    async def purge(self, now: float) -> int:
        """Delete the keys whose answers expired by ``now``; how many were deleted."""
        ...


@dataclass
class _Entry:
    fingerprint: str
    token: str
    lease_until: float
    expires_at: float
    response: StoredResponse | None = None


class MemoryIdempotencyStore:
    """An :class:`IdempotencyStore` in a dict: one process, nothing survives a restart."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], _Entry] = {}

    async def claim(
        self, scope: str, key: str, fingerprint: str, *, now: float, lease: float, retention: float
    ) -> ClaimOutcome:
        """See :meth:`IdempotencyStore.claim`."""
        entry = self.entries.get((scope, key))
        if entry is not None and entry.expires_at > now:
            if entry.fingerprint != fingerprint:
                return Mismatch()
            if entry.response is not None:
                return entry.response
            if entry.lease_until > now:
                return InFlight()
        token = secrets.token_hex(16)
        self.entries[(scope, key)] = _Entry(fingerprint, token, now + lease, now + retention)
        return Claimed(token)

    async def complete(
        self, scope: str, key: str, token: str, response: StoredResponse, *, expires: float
    ) -> bool:
        """See :meth:`IdempotencyStore.complete`."""
        entry = self.entries.get((scope, key))
        if entry is None or entry.token != token:
            return False
        entry.response = response
        entry.expires_at = expires
        return True

    async def release(self, scope: str, key: str, token: str) -> None:
        """See :meth:`IdempotencyStore.release`."""
        entry = self.entries.get((scope, key))
        if entry is not None and entry.token == token and entry.response is None:
            del self.entries[(scope, key)]

    async def purge(self, now: float) -> int:
        """See :meth:`IdempotencyStore.purge`."""
        expired = [k for k, entry in self.entries.items() if entry.expires_at <= now]
        for k in expired:
            del self.entries[k]
        return len(expired)


def retention_from_env(environ: Mapping[str, str]) -> float:
    """``ACCORD_IDEMPOTENCY_RETENTION`` in seconds, else 24 hours.

    Raises ``ValueError`` with a one-line reason when it is not a positive number.
    """
    raw = environ.get(RETENTION_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_RETENTION
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{RETENTION_VARIABLE} must be a positive number of seconds, not {raw!r}")
    return value


def scope_of(principal: Any) -> str:
    """The scope of a caller's keys: its ``subject``, its ``str``, or ``"anonymous"``.

    Scopes longer than 200 characters are replaced by their SHA-256, so they fit the store.
    """
    if principal is None:
        return ANONYMOUS
    subject = getattr(principal, "subject", None)
    text = str(subject if subject is not None else principal)
    if len(text) > _MAX_SCOPE:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def fingerprint(method: str, path: bytes, query: bytes, body: bytes) -> str:
    """What makes two requests "the same": SHA-256 over method, path, query and body."""
    digest = hashlib.sha256()
    for part in (method.encode("latin-1"), path, query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay_body(body: bytes) -> Receive:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _instance(request: Request) -> str:
    raw: bytes | None = request.scope.get("raw_path")
    text = raw.decode("latin-1") if raw is not None else request.path
    return quote(text, safe=_URI_SAFE)


_IDEMPOTENCY_KEY = b"idempotency-key"


class IdempotencyLayer:
    """A :class:`~accord.runtime.layers.Layer` for ``requires_key`` operations (module doc).

    ``lease`` (seconds) overrides twice the operation's timeout; ``clock`` is the wall
    clock the store's times are on; ``max_body_bytes`` bounds the body read to
    fingerprint it (the app's own limit still applies after).
    """

    #: The request header this layer reads.
    reads = frozenset({_IDEMPOTENCY_KEY})

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        retention: float | Callable[[], float] = DEFAULT_RETENTION,
        lease: float | None = None,
        purge_every: float = 300.0,
        max_body_bytes: int = 1 << 20,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not callable(retention) and retention <= 0:
            raise ValueError(f"retention must be positive, not {retention}")
        if lease is not None and lease <= 0:
            raise ValueError(f"lease must be positive, not {lease}")
        self.store = store
        # A getter (live configuration) is read on every request; a number never changes.
        self._retention: Callable[[], float] = (
            retention if callable(retention) else (lambda: retention)
        )
        self._lease = lease
        self._purge_every = purge_every
        self._max_body = max_body_bytes
        self._logger = telemetry.logger if telemetry is not None else None
        self._clock = clock
        self._purged_at = clock()
        # The keys this process is answering now, with their fingerprints: a duplicate
        # that arrives meanwhile is refused here, without a trip to the store.
        self._running: dict[tuple[str, str], str] = {}

    @property
    def retention(self) -> float:
        """Seconds a stored answer is replayed (now: it may follow live configuration)."""
        return self._retention()

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """``handler`` answering each key once; other operations are left alone."""
        if operation.idempotency is not _Policy.REQUIRES_KEY:
            return handler
        lease = self._lease if self._lease is not None else 2.0 * operation.timeout
        errors = operation.error_table
        extra = deprecation_headers(operation.contract.deprecation)
        name = f"{operation.contract.name}.{operation.name}"
        store, clock, running = self.store, self._clock, self._running
        current_retention = self._retention

        async def once_per_key(request: Request) -> Response:
            raw_key = request.header(_IDEMPOTENCY_KEY)
            if raw_key is None or _KEY.fullmatch(raw_key) is None:
                return await handler(request)  # the endpoint answers 400
            key = raw_key.decode("ascii")
            body = await request.body(self._max_body)
            request.receive = _replay_body(body)
            scope = scope_of(request.principal)
            raw_path: bytes = request.scope.get("raw_path") or request.path.encode()
            query: bytes = request.scope.get("query_string", b"")
            digest = fingerprint(request.method, raw_path, query, body)
            held = running.get((scope, key))
            if held is not None:
                outcome: ClaimOutcome = Mismatch() if held != digest else InFlight()
            else:
                running[(scope, key)] = digest  # claiming: duplicates meanwhile are 409
                try:
                    outcome = await store.claim(
                        scope,
                        key,
                        digest,
                        now=clock(),
                        lease=lease,
                        retention=current_retention(),
                    )
                except Exception as exc:
                    running.pop((scope, key), None)
                    # Nothing ran yet, so the caller may safely try again.
                    self._log_error("idempotency_store_failed", name, exc)
                    raise Unavailable(
                        "the store of idempotency keys did not answer; retry after a second"
                    ).with_header("Retry-After", "1") from None
                except BaseException:
                    running.pop((scope, key), None)
                    raise
                if not isinstance(outcome, Claimed):
                    running.pop((scope, key), None)
            if isinstance(outcome, StoredResponse):
                return Response(
                    outcome.status,
                    outcome.body,
                    outcome.content_type,
                    [*outcome.headers, *_REPLAYED],
                )
            if isinstance(outcome, Mismatch):
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used for a different request; "
                    "send a new key for a new request"
                )
            if isinstance(outcome, InFlight):
                raise IdempotencyKeyInUse(
                    "a request with this Idempotency-Key is still being processed"
                ).with_header("Retry-After", "1")
            try:
                return await self._answer(
                    handler, request, name, errors, extra, scope, key, outcome.token
                )
            finally:
                running.pop((scope, key), None)

        return once_per_key

    async def _answer(
        self,
        handler: Handler,
        request: Request,
        name: str,
        errors: Mapping[str, type[ServiceError[Any]]],
        extra: Headers | None,
        scope: str,
        key: str,
        token: str,
    ) -> Response:
        """Run the handler for the claim ``token`` and keep its answer (module doc)."""
        store = self.store
        try:
            response = await handler(request)
        except ServiceError as err:
            declared = errors.get(err.code)
            if declared is None or not isinstance(err, declared) or not _keeps(err.status):
                await self._release(name, scope, key, token)
                raise
            headers: Headers | None = [*(extra or ()), *(err.headers or ())] or None
            response = problem_response(
                err,
                instance=_instance(request),
                trace_id=format(get_current_span().get_span_context().trace_id, "032x"),
                correlation_id=correlation_id.get() or "",
                headers=headers,
            )
        except Exception:
            await self._release(name, scope, key, token)
            raise
        # A cancelled request (its deadline passed) keeps its claim until the lease runs
        # out: whether its work was done is unknown, so it is not run again at once.
        if not _keeps(response.status):
            await self._release(name, scope, key, token)
            return response
        stored = StoredResponse(
            response.status, response.content_type, tuple(response.headers or ()), response.body
        )
        try:
            kept = await store.complete(
                scope, key, token, stored, expires=self._clock() + self._retention()
            )
        except Exception as exc:
            kept = False
            self._log_error("idempotency_store_failed", name, exc)
        if not kept and self._logger is not None:
            self._logger.warning("idempotency_claim_lost", operation=name)
        await self._maybe_purge()
        return response

    async def _release(self, name: str, scope: str, key: str, token: str) -> None:
        """Release a claim; when the store fails, the claim stays until its lease ends."""
        try:
            await self.store.release(scope, key, token)
        except Exception as exc:
            self._log_error("idempotency_store_failed", name, exc)

    async def _maybe_purge(self) -> None:
        now = self._clock()
        if now - self._purged_at < self._purge_every:
            return
        self._purged_at = now
        try:
            purged = await self.store.purge(now)
        except Exception as exc:
            self._log_error("idempotency_purge_failed", "", exc)
            return
        if purged and self._logger is not None:
            self._logger.info("idempotency_keys_purged", keys=purged)

    def _log_error(self, event: str, name: str, exc: BaseException) -> None:
        if self._logger is not None:
            self._logger.error(event, operation=name, exc_info=exc)


def _keeps(status: int) -> bool:
    """Whether an answer of ``status`` is stored: not one that invites a retry (5xx, 429)."""
    return status < 500 and status != 429


def __getattr__(name: str) -> Any:
    """``Idempotency``: the layer's old name, kept for one release (it clashed with the
    contract's :class:`accord.Idempotency` enum)."""
    if name == "Idempotency":
        warnings.warn(
            "accord.runtime.idempotency.Idempotency is now IdempotencyLayer",
            DeprecationWarning,
            stacklevel=2,
        )
        return IdempotencyLayer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
