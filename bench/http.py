"""HTTP benchmark: accord against FastAPI and Starlette, measured with wrk.

    python bench/http.py [--duration 10] [--rounds 3] [--warmup 3] [--connections 64]
                         [--variants a,b,...] [--quick] [--out bench/results/http.json]

Every variant (see ``bench/apps``) runs in its own uvicorn process with one worker,
pinned to core 0; wrk runs pinned to core 1 with one thread. Each endpoint of each
variant is warmed up, then measured in interleaved rounds (round 1: every variant,
round 2: every variant, ...); the median of the rounds is reported, with the ratio of
requests/s to FastAPI's. Servers are stopped by PID whatever happens, Ctrl-C included.

Exit status: 0 when every measurement ran and every response was 2xx; 1 when a server
or wrk failed or errors were answered; 2 for bad arguments or when wrk is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where ``http.py`` would
# hide the standard library's ``http`` package: the repository root takes its place.
_HERE = Path(__file__).resolve().parent
if Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

from bench.harness.command import main, parse_args  # noqa: E402 - needs the path above

__all__ = ["main", "parse_args"]

if __name__ == "__main__":
    sys.exit(main())
