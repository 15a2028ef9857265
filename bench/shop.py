"""The shop end to end: accord's shop against its twin, orders placed with wrk.

    python bench/shop.py [--duration 10] [--warmup 3] [--customers 50]
                         [--systems accord,twin] [--databases sqlite,postgresql]
                         [--clients c1,c4,c16] [--quick] [--out bench/results/shop.json]

Each system starts on free ports with its own home (accord: ``accord up``, auth on, the
defaults a user gets), customers are registered and logged in, stock is restocked through
the API with an operator's credentials so it never runs out, and wrk places one-item
orders on ``/v2/orders`` with a fresh idempotency key each, at 1, 4 and 16 concurrent
clients. CPU per order is read from the services' own CPU time (``/proc/<pid>/stat``).
See bench/README.md.

Exit status: 0 when every measurement ran; 1 when a system or wrk failed; 2 when wrk is
missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path; the repository root takes
# its place (``bench/http.py`` would hide the standard library's ``http``).
_HERE = Path(__file__).resolve().parent
if Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

from bench.harness.shop_command import main  # noqa: E402 - needs the path above

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
