"""Placements refused by an open breaker, timed from orders' own log lines."""

from __future__ import annotations

import json

from shop.chaos.logs import BreakerRejections


def request(trace: str, status: int, ms: float, route: str = "/v1/orders") -> str:
    return json.dumps(
        {
            "event": "request",
            "trace_id": trace,
            "method": "POST",
            "route": route,
            "status": status,
            "duration_ms": ms,
        }
    )


def failed(trace: str, why: str) -> str:
    return json.dumps({"event": f"order placement failed: {why}", "trace_id": trace})


def test_only_placements_the_breaker_refused_are_timed() -> None:
    seen = BreakerRejections("inventory")
    open_ = "inventory unavailable: circuit breaker for 'inventory' is open; retry in 1.2 s"
    seen.feed("orders", failed("t1", open_))
    seen.feed("orders", request("t1", 503, 3.5))
    seen.feed("orders", request("t2", 503, 900.0))  # a timeout, not the breaker
    seen.feed("orders", failed("t2", "inventory unavailable: no response within 2s"))
    seen.feed("orders", request("t3", 503, 4.0))  # the request line may come first
    seen.feed("orders", failed("t3", open_))
    seen.feed(
        "orders", failed("t4", "payments unavailable: circuit breaker for 'payments' is open")
    )
    seen.feed("orders", request("t4", 503, 2.0))
    seen.feed("orders", request("t5", 201, 1.0))
    seen.feed("inventory", request("t6", 503, 1.0))
    assert sorted(seen.durations()) == [3.5, 4.0]


def test_lines_that_are_not_json_objects_are_ignored() -> None:
    seen = BreakerRejections()
    for line in ("", "plain text", "[1, 2]", "{not json", json.dumps({"event": 3})):
        seen.feed("orders", line)
    assert seen.durations() == []
