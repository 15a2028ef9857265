"""The console: a page in the browser over a running system (``accord console``).

::

    accord console --port 8100          # or: accord up, which serves it too

A small ASGI app (:class:`ConsoleApp`, served by uvicorn) answers the page (plain HTML,
CSS and JavaScript shipped with the package: nothing fetched from anywhere else) and a
JSON API of its own that reads the running system the way the CLI does: the run file
for services, ports and pids; each service's ``/readyz``, ``/metrics`` and OpenAPI
documents; the span files under ``<home>/telemetry``; the flag files of every
environment. The page shows services (health, version, request rate, error rate, p99),
the map of who calls whom, each contract as a reference with a "try it" form, traces as
waterfalls, and flags. See ``docs/console.md``.
"""

from accord.console.app import ConsoleApp
from accord.console.server import serve_console

__all__ = ["ConsoleApp", "serve_console"]
