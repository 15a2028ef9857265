"""Orders placed by wrk, and what the services' processes used meanwhile.

:func:`order_script` writes the Lua script that makes every wrk request a ``POST`` of a
one-item order with a fresh ``Idempotency-Key`` and the next customer's token, rotating
over the customers and over a few SKUs. :class:`ProcessMeter` reads each service's CPU
time and resident memory from ``/proc`` before and after a measurement.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CARD", "ProcessMeter", "Usage", "order_script", "rss_bytes"]

#: The card every benchmark order pays with (one the shop's processor authorizes).
CARD = "tok_visa_4242"
_HZ = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")

_LUA = """\
local tokens = {tokens}
local skus = {skus}
local run = "{run}"
local path = "{path}"
local card = "{card}"
local count = 0
local serial = 0

local threads = {{}}
statuses = {{}}

function setup(thread)
  serial = serial + 1
  thread:set("tid", serial)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {{}}) do
      io.write(string.format("failed status %d: %d\\n", status, n))
    end
  end
end

function request()
  count = count + 1
  local n = count + (tid or 0) * 7919
  local headers = {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[n % #tokens + 1],
    ["Idempotency-Key"] = run .. "-" .. (tid or 0) .. "-" .. count,
  }}
  local body = '{{"items":[{{"sku":"' .. skus[n % #skus + 1] ..
    '","quantity":1}}],"card_token":"' .. card .. '"}}'
  return wrk.format("POST", path, headers, body)
end
"""


def _lua_list(values: Sequence[str]) -> str:
    for value in values:
        if not all(c.isalnum() or c in "-_." for c in value):
            raise ValueError(f"not a token or SKU: {value[:20]!r}")
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def order_script(directory: Path, *, path: str, tokens: Sequence[str], skus: Sequence[str]) -> Path:
    """Write the wrk script placing orders on ``path`` (keys unique to this script)."""
    script = directory / f"orders-{secrets.token_hex(4)}.lua"
    script.write_text(
        _LUA.format(
            tokens=_lua_list(tokens),
            skus=_lua_list(skus),
            run="bench-" + secrets.token_hex(6),
            path=path,
            card=CARD,
        )
    )
    return script


def _cpu_seconds(pid: int) -> float:
    """User + system seconds of ``pid`` and its threads (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _HZ


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return 0


@dataclass(frozen=True)
class Usage:
    """CPU seconds each service used during a measurement, and the peak total RSS."""

    cpu_s: Mapping[str, float]
    peak_rss: int


class ProcessMeter:
    """CPU time per service over a measurement, RSS sampled every 0.2 s meanwhile."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self._pids = dict(pids)
        self._start = {n: _cpu_seconds(p) for n, p in self._pids.items()}
        self._peak = self._rss()
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _rss(self) -> int:
        return sum(rss_bytes(p) for p in self._pids.values())

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            self._peak = max(self._peak, self._rss())

    def stop(self) -> Usage:
        """The CPU seconds each service used since the start, and the peak RSS."""
        self._done.set()
        self._sampler.join()
        used = {n: max(0.0, _cpu_seconds(p) - self._start[n]) for n, p in self._pids.items()}
        return Usage(used, max(self._peak, self._rss()))
