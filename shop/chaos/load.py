"""The shop's chaos load: customers placing orders, and retrying them as clients do.

Each worker places one order at a time: it sends it ``duplicates`` times at once with
one ``Idempotency-Key`` (and the key in the order's note, so the audit can tie every
order to its key, whichever attempt placed it). While no final answer came back — no
answer at all (the service died or was restarting), 409 ``idempotency_key_in_use`` (the
key's first request, perhaps in a dead process, still holds it), or a 5xx — the worker
sends the very same request again with the same key, as a real client does: after
``FIRST_RETRY`` seconds, then every ``RETRY_EVERY`` seconds, for at most ``RETRY_FOR``
seconds (a 5xx is retried at most ``RETRIES_ON_5XX`` times). A worker whose order stayed
unavailable waits ``PAUSE`` seconds before its next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from shop.chaos.audit import NOTE_PREFIX
from shop.chaos.credentials import Credentials

__all__ = [
    "FIRST_RETRY",
    "PAUSE",
    "RETRIES_ON_5XX",
    "RETRY_EVERY",
    "RETRY_FOR",
    "Answer",
    "Load",
    "Record",
    "worker",
]

#: Card tokens the load pays with: one order in ten is declined.
CARDS = ("tok_ok",) * 18 + ("tok_declined", "tok_insufficient_funds")
#: Seconds a worker waits after an order was refused as unavailable.
PAUSE = 0.2
#: Seconds before the first same-key retry, and between the next ones.
FIRST_RETRY = 0.5
RETRY_EVERY = 2.0
#: Seconds after its first attempt an order is retried for at most (past the key's
#: lease, 16 s, and orders' restart).
RETRY_FOR = 30.0
#: How many times a 5xx answer is retried with the same key.
RETRIES_ON_5XX = 2
_IN_USE = "idempotency_key_in_use"
#: Where each request's start (monotonic) and duration (ms) go.
Record = Callable[[float, float], None]


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer: its status (0: none came), its problem code, the order id of a 201."""

    status: int
    code: str = ""
    order_id: str | None = None

    @property
    def final(self) -> bool:
        """Whether a client stops here: an order, or a refusal that is not "try again"."""
        return self.status == 201 or (
            400 <= self.status < 500 and not (self.status == 409 and self.code == _IN_USE)
        )


@dataclass
class Load:
    """What the load saw, request by request."""

    acknowledged: dict[str, list[str]] = field(default_factory=dict)
    attempted: int = 0
    rejected: int = 0
    unavailable: int = 0
    sent: int = 0
    retried: int = 0  # keys sent again after no final answer
    answers: Counter[str] = field(default_factory=Counter)  # "503 unavailable": count


async def worker(
    http: httpx.AsyncClient,
    orders_url: str,
    rng: random.Random,
    skus: list[str],
    creds: Credentials,
    duplicates: int,
    load: Load,
    stop: asyncio.Event,
    record: Record,
) -> None:
    """Place orders until ``stop`` is set (an order being retried is finished first)."""
    while not stop.is_set():
        picked = rng.sample(skus, k=rng.randint(1, min(2, len(skus))))
        customer = rng.randrange(len(creds.customers))
        headers = creds.customers[customer]
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        body: dict[str, Any] = {
            "items": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in picked],
            "card_token": rng.choice(CARDS),
            "note": NOTE_PREFIX + key,
        }
        if not headers:  # no identity service: the body names the customer
            body["customer_id"] = f"chaos-{customer}"
        load.attempted += 1
        place = functools.partial(_place, http, orders_url, body, key, headers, load, record)
        answers = await asyncio.gather(*(place() for _ in range(duplicates)))
        answers += await _retry(place, load, answers)
        acknowledged = [a.order_id for a in answers if a.status == 201 and a.order_id]
        if acknowledged:
            load.acknowledged[key] = acknowledged
        elif any(a.status >= 500 or a.status == 0 for a in answers):
            load.unavailable += 1
            await asyncio.sleep(PAUSE)  # a client that is refused waits before its next order
        else:
            load.rejected += 1


async def _retry(
    place: Callable[[], Awaitable[Answer]], load: Load, first: Sequence[Answer]
) -> list[Answer]:
    """``place`` the order again (the same request, the same key) while no final answer
    came (module doc)."""
    answers: list[Answer] = []
    latest = list(first)
    deadline = time.monotonic() + RETRY_FOR
    errors = 0
    delay = FIRST_RETRY
    while not any(a.final for a in latest) and time.monotonic() < deadline:
        errors += any(a.status >= 500 for a in latest)
        if errors > RETRIES_ON_5XX:
            break
        if not answers:
            load.retried += 1
        await asyncio.sleep(delay)
        delay = RETRY_EVERY
        latest = [await place()]
        answers += latest
    return answers


async def _place(
    http: httpx.AsyncClient,
    orders_url: str,
    body: dict[str, Any],
    key: str,
    headers: Mapping[str, str],
    load: Load,
    record: Record,
) -> Answer:
    started = time.monotonic()
    load.sent += 1
    try:
        r = await http.post(
            f"{orders_url}/v1/orders", json=body, headers={**headers, "Idempotency-Key": key}
        )
    except httpx.HTTPError as exc:
        record(started, (time.monotonic() - started) * 1000)
        load.answers[type(exc).__name__] += 1
        return Answer(0)
    record(started, (time.monotonic() - started) * 1000)
    if r.status_code == 201:
        load.answers["201"] += 1
        return Answer(201, order_id=str(r.json().get("order_id")))
    code = ""
    with contextlib.suppress(ValueError, AttributeError):
        code = str(r.json().get("code", ""))
    load.answers[f"{r.status_code} {code}".strip()] += 1
    return Answer(r.status_code, code)
