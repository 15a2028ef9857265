"""Header fields a request may carry once: a second one is a 400, never a silent choice.

When a request repeats ``Authorization``, the runtime would read one of the two and a
proxy or a log in front of it may read the other: a garbage token first and a valid one
second was accepted, and two ``Idempotency-Key`` headers keyed the request on the
second, so a retry with the first placed a second order. None of these fields is a list
(RFC 9110 §5.3 allows repeating only fields defined as lists), so a request that
repeats one is refused before it is routed: 400 ``duplicate_header``, naming the field.

The fields are :data:`SINGLETONS`: ``Authorization``, ``Idempotency-Key``,
``Content-Type``, ``Content-Length``, ``traceparent`` and the deadline header
(:data:`~accord.resilience.deadlines.TIMEOUT_HEADER`). The pipeline finds a repeat in
the one pass it makes over the raw header list anyway (:mod:`accord.runtime.pipeline`);
:func:`refuse_repeated` is the same check on its own, for a list at hand.
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.errors import DuplicateHeader
from accord.resilience.deadlines import TIMEOUT_HEADER

__all__ = ["JOINED_BY_PROXIES", "SINGLETONS", "joined_repeat", "refuse_repeated"]

#: Header names (lower case, as ASGI servers give them) that may appear at most once.
SINGLETONS: frozenset[bytes] = frozenset(
    {
        b"authorization",
        b"idempotency-key",
        b"content-type",
        b"content-length",
        b"traceparent",
        TIMEOUT_HEADER.encode("ascii"),
    }
)


#: Singletons that a proxy in front (Envoy among them) joins into one value with a comma
#: when they are repeated, as RFC 9110 §5.3 lets it do for list fields; neither field, as
#: the runtime accepts it (a bearer token; one media type with ``;`` parameters), ever
#: holds a comma, so one in them is a repeat that a proxy has joined.
JOINED_BY_PROXIES: tuple[bytes, ...] = (b"authorization", b"content-type")


def joined_repeat(first_values: dict[bytes, bytes | None]) -> bytes | None:
    """The first of :data:`JOINED_BY_PROXIES` whose value holds a comma, if any."""
    for name in JOINED_BY_PROXIES:
        value = first_values.get(name)
        if value is not None and b"," in value:
            return name
    return None


def refuse_repeated(headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Raise :class:`~accord.errors.DuplicateHeader` when ``headers`` repeat a singleton."""
    seen: set[bytes] | None = None
    for name, _ in headers:
        if name in SINGLETONS:
            if seen is None:
                seen = {name}
            elif name in seen:
                field = name.decode("latin-1")
                raise DuplicateHeader(f"the {field} header may appear once; it was repeated")
            else:
                seen.add(name)
    joined = joined_repeat({name: value for name, value in headers if name in JOINED_BY_PROXIES})
    if joined is not None:
        field = joined.decode("latin-1")
        raise DuplicateHeader(f"the {field} header may appear once; it was repeated")
