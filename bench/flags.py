"""Feature flag benchmark: what evaluating flags costs, in-process and per request.

    python bench/flags.py [--samples 20000] [--writes 50] [--duration 5] [--rounds 3]
                          [--warmup 2] [--connections 32] [--quick]
                          [--out bench/results/flags.json]

1. In-process, in this process: the median time of one evaluation through OpenFeature
   and accord's file provider (the shop's ``config/dev/flags.json``), with the span event
   and counter every evaluation leaves, inside a recording span: ``pause-orders``
   (static), ``strict-card-tokens`` (a ``fractional`` split), both (what one order
   request evaluates; target: median under 5 µs), and both through flagd's evaluator
   alone (no OpenFeature client, no hook), which shows where the time goes. Also the
   time from a write of the file to the new value answered (p50, p99 over ``--writes``
   flips; target under 1 s), and the file provider's import: wall time and resident
   memory, in a fresh interpreter.
2. Over HTTP, in the same run: ``POST /v1/orders`` of the benchmark app (see
   ``bench/apps/accord_flags.py``) with two flags evaluated per request and with none,
   each in its own uvicorn process pinned to core 0, wrk pinned to core 1, interleaved
   rounds, the median reported. Then, against the two-flag server under the same load,
   the flags file is rewritten ``--writes`` times (a rollout moved between 30 % and
   70 %, one rewrite per 0.6 s): the requests that failed meanwhile (target 0) and the
   rewrites the server applied.

Prints a table and writes ``bench/results/flags.json``. Exit 1 when a server or wrk
failed or answered errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

from bench.harness.flags_bench import main  # noqa: E402 - needs the path above

if __name__ == "__main__":
    sys.exit(main())
