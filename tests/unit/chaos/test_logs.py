"""Calls to a failing dependency counted from the accord client's own log lines."""

from __future__ import annotations

import json

from accord.chaos.logs import BreakerOpening, json_line


def call_failed(operation: str) -> str:
    return json.dumps({"event": "client_call_failed", "operation": operation})


def changed(downstream: str, current: str) -> str:
    return json.dumps(
        {"event": "breaker_state_changed", "downstream": downstream, "current": current}
    )


def test_failed_calls_are_counted_until_the_breaker_opens() -> None:
    opening = BreakerOpening("front", "back")
    opening.feed("front", call_failed("back.write"))  # not armed yet
    opening.arm()
    for _ in range(7):
        opening.feed("front", call_failed("back.write"))
    opening.feed("front", call_failed("other.read"))
    opening.feed("back", call_failed("back.read"))  # another service's line
    opening.feed("front", changed("other", "open"))
    assert opening.failed_calls is None
    opening.feed("front", call_failed("back.read"))
    opening.feed("front", changed("back", "open"))
    assert opening.failed_calls == 8
    opening.feed("front", call_failed("back.write"))  # counting stopped
    opening.feed("front", changed("back", "open"))
    assert opening.failed_calls == 8


def test_only_json_objects_are_lines_to_read() -> None:
    for line in ("", "plain text", "[1, 2]", "{not json"):
        assert json_line(line) is None
    assert json_line('{"event": "x"}') == {"event": "x"}
