"""The parts of the HTTP benchmark: variants, servers, wrk and the report.

``bench/http.py`` is the command; these modules do one thing each:

- :mod:`bench.harness.variants` — which apps are measured and the request they get;
- :mod:`bench.harness.servers` — pinned uvicorn processes, started and stopped by PID;
- :mod:`bench.harness.wrk` — finding wrk, running it pinned, parsing ``--latency`` output;
- :mod:`bench.harness.report` — medians, ratios, targets, the table and the JSON file;
- :mod:`bench.harness.upshop` — the shop under ``accord up`` and customers ordering from it
  (``bench/tls.py``, ``bench/rollout.py``).
"""

__all__: list[str] = []
