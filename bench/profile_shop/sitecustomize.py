"""Profile a shop service's main thread on demand (see bench/README.md, "Profiling the shop").

Put this folder first on ``PYTHONPATH`` and set ``ACCORD_BENCH_PROFILE_DIR``: every
service process ``accord up`` starts (it passes the environment on) then starts cProfile,
timed by the thread's own CPU clock, on ``SIGUSR1``, and at exit writes
``<dir>/<service>.prof`` (``python -m pstats`` reads it). Other processes are untouched.
"""

from __future__ import annotations

import os

_FOLDER = os.environ.get("ACCORD_BENCH_PROFILE_DIR")
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
