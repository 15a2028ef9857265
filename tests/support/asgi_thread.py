"""Run an ASGI app's lifespan on an event loop in a background thread.

For synchronous test tools (schemathesis) that call an app in-process: the app's
start-up hooks run once before, and its shutdown hooks once after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from anyio.from_thread import start_blocking_portal

from tests.support.asgi import lifespan


@contextlib.contextmanager
def running_lifespan(app: Any) -> Iterator[None]:
    """Start the app's lifespan in a portal thread; shut it down on exit."""
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(lifespan(app)):
        yield
