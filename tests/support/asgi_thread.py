"""Run ASGI apps on one event loop in a background thread, for synchronous test tools.

Schemathesis calls an app in-process through Starlette's test client, which runs every
request on an event loop of its own. An app is written for one loop: its connection
pools, locks and background tasks belong to the loop its lifespan started on, and a
request served on another loop fails as soon as it has to wait on one of them ("bound to
a different event loop"). So the app's lifespan and every request it serves run on the
same loop, in a portal thread; the tool gets a stand-in that carries each request there
and the answer back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from anyio.abc import BlockingPortal
from anyio.from_thread import start_blocking_portal

from tests.support.asgi import lifespan

__all__ = ["OnLoop", "event_loop_thread", "running_lifespan"]


@contextlib.contextmanager
def event_loop_thread() -> Iterator[BlockingPortal]:
    """An event loop in a thread, to run several apps that call each other on it."""
    with start_blocking_portal() as portal:
        yield portal


@contextlib.contextmanager
def running_lifespan(app: Any, portal: BlockingPortal | None = None) -> Iterator[OnLoop]:
    """Start the app's lifespan on ``portal``'s loop (a new one if none); stop it on exit.

    Yields the app as a synchronous tool should call it (:class:`OnLoop`).
    """
    with contextlib.ExitStack() as stack:
        if portal is None:
            portal = stack.enter_context(start_blocking_portal())
        stack.enter_context(portal.wrap_async_context_manager(lifespan(app)))
        yield OnLoop(app, portal)


class OnLoop:
    """An app's HTTP side, served on the loop its lifespan runs on.

    The request body is read on the caller's loop, the app runs on its own loop, and the
    messages it sent are replayed to the caller: fine for tests, whose answers are small.
    Lifespan scopes are refused: the fixture runs the lifespan, once.
    """

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self.app = app
        self.portal = portal

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError(f"{scope['type']} is run by the test fixture")
        received = [await receive()]
        while received[-1]["type"] == "http.request" and received[-1].get("more_body"):
            received.append(await receive())
        sent: list[dict[str, Any]] = []
        future = self.portal.start_task_soon(self._serve, scope, received, sent)
        await asyncio.wrap_future(future)
        for message in sent:
            await send(message)

    async def _serve(self, scope: Any, received: list[Any], sent: list[dict[str, Any]]) -> None:
        answered = asyncio.Event()
        pending = iter(received)

        async def receive() -> Any:
            message = next(pending, None)
            if message is not None:
                return message
            await answered.wait()  # as a server does: the client leaves after the answer
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        await self.app(scope, receive, send)
