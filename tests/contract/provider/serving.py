"""Serve an ASGI app on a loopback port from a background event loop, in this process.

Pact's verifier (Rust, inside pact-python) replays interactions over real HTTP, so the
provider app runs under uvicorn — lifespan included — on a portal thread; the same
portal runs provider-state set-ups on the app's event loop.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal

from tests.support.processes import free_port

__all__ = ["Served", "served"]


@dataclass(frozen=True)
class Served:
    """A running app: its base URL and the portal onto its event loop."""

    url: str
    portal: BlockingPortal


@contextlib.contextmanager
def served(app: Any, *, start_timeout: float = 10.0) -> Iterator[Served]:
    """Run ``app`` under uvicorn on ``127.0.0.1``; stop it (and its lifespan) on exit."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    with start_blocking_portal() as portal:
        running = portal.start_task_soon(server.serve)
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if running.done():
                running.result()  # raises what stopped the start-up
                raise RuntimeError("the app stopped before it started serving")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app did not start within {start_timeout}s")
            time.sleep(0.01)
        try:
            yield Served(f"http://127.0.0.1:{port}", portal)
        finally:
            server.should_exit = True
            running.result(timeout=start_timeout)
