"""Where accord's time goes: the app called in-process, no server, no sockets.

    python bench/profile_accord.py [-n 20000] [--endpoint order|ping] [--repeat 5]
                                   [--cprofile CONFIG] [--top 25]

Builds the benchmark's accord app (``bench/apps/accord_full.py``) once per
configuration, calls it ``n`` times with a fake ``receive``/``send`` and prints
microseconds per request (the median of ``repeat`` runs), each configuration turning one
part of the telemetry off, plus bare Starlette + msgspec for scale. ``--cprofile full``
runs one configuration under cProfile and prints the functions that cost the most.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where ``http.py`` would
# hide the standard library's ``http`` package: the repository root takes its place.
_HERE = Path(__file__).resolve().parent
if Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

from bench.harness.profiling import main  # noqa: E402 - needs the path above

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
