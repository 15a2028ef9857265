"""Profile a shop service on demand (see bench/README.md, "Profiling the shop").

Put this folder first on ``PYTHONPATH``; every service process ``accord up`` starts (it
passes the environment on) then, and no other process:

- with ``ACCORD_BENCH_PROFILE_DIR`` set, starts cProfile, timed by the thread's own CPU
  clock, on ``SIGUSR1``, and at exit writes ``<dir>/<service>.prof`` (``python -m
  pstats`` reads it);
- with ``ACCORD_BENCH_GC_DIR`` set, times every collection of the cyclic garbage
  collector and at exit writes ``<dir>/<service>.gc.json``: per generation, how many
  collections, their total and their longest wall time in milliseconds, and the
  thresholds that were in force at those collections.
"""

from __future__ import annotations

import os

_FOLDER = os.environ.get("ACCORD_BENCH_PROFILE_DIR")
_GC_FOLDER = os.environ.get("ACCORD_BENCH_GC_DIR")
_SERVICE = os.environ.get("ACCORD_SERVICE")

if _FOLDER and _SERVICE:
    import atexit
    import cProfile
    import signal
    import time
    from typing import Any

    _profile = cProfile.Profile(time.thread_time)
    _started: list[bool] = []

    def _start(*_: Any) -> None:
        if not _started:
            _started.append(True)
            _profile.enable()

    def _write() -> None:
        if _started:
            _profile.disable()
            _profile.dump_stats(os.path.join(str(_FOLDER), f"{_SERVICE}.prof"))

    signal.signal(signal.SIGUSR1, _start)
    atexit.register(_write)

if _GC_FOLDER and _SERVICE:
    import atexit
    import gc
    import json
    import time
    from typing import Any

    _began: list[float] = [0.0]
    _by_generation: dict[int, list[float]] = {}
    _thresholds: set[tuple[int, int, int]] = set()

    def _timed(phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            _began[0] = now
            return
        _thresholds.add(gc.get_threshold())
        seen = _by_generation.setdefault(info["generation"], [0, 0.0, 0.0])
        took = (now - _began[0]) * 1000
        seen[0] += 1
        seen[1] += took
        seen[2] = max(seen[2], took)

    def _write_gc() -> None:
        figures = {
            "thresholds": sorted(_thresholds),
            "by_generation": {
                str(generation): {
                    "collections": int(n),
                    "total_ms": round(total, 1),
                    "max_ms": round(most, 1),
                }
                for generation, (n, total, most) in sorted(_by_generation.items())
            },
        }
        with open(os.path.join(str(_GC_FOLDER), f"{_SERVICE}.gc.json"), "w") as out:
            json.dump(figures, out, indent=2)

    gc.callbacks.append(_timed)
    atexit.register(_write_gc)
