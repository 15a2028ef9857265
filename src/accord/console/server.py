"""Serving the console with uvicorn: on its own (``accord console``) or beside the
services inside ``accord up`` (without taking over the signals ``up`` handles)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from accord.console.app import ConsoleApp
from accord.console.system import System
from accord.project import Project

__all__ = ["DEFAULT_PORT", "Beside", "embedded", "port_free", "serve_console"]

#: The console's port unless told otherwise.
DEFAULT_PORT = 8100


class _Quiet(uvicorn.Server):
    """A server whose caller handles the signals (``accord up`` stops it itself)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(project: Project, host: str, port: int, *, signals: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        ConsoleApp(System(project)),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        # Inside another program (accord up) its logging is left as it is.
        log_config=uvicorn.config.LOGGING_CONFIG if signals else None,
    )
    return uvicorn.Server(config) if signals else _Quiet(config)


def serve_console(project: Project, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve the console of ``project`` until interrupted (Ctrl-C or SIGTERM)."""
    _server(project, host, port, signals=True).run()


def embedded(
    project: Project, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT
) -> uvicorn.Server:
    """A console server to run as a task of another program's event loop
    (``await server.serve()``; ``server.should_exit = True`` stops it)."""
    return _server(project, host, port, signals=False)


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port``."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class Beside:
    """The console served as a task of the caller's event loop (``accord up``): it ends
    with that process, whatever ends it."""

    def __init__(self, project: Project, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT):
        self.url = f"http://{host}:{port}"
        self.problem = "" if port_free(host, port) else f"port {port} is in use"
        self._server = embedded(project, host=host, port=port)
        self._task: asyncio.Future[None] | None = None

    async def start(self) -> bool:
        """Start serving; False (see :attr:`problem`) when the port is taken."""
        if self.problem:
            return False
        self._task = asyncio.ensure_future(self._serve())
        while not self._server.started and not self._task.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.02)
        return self._server.started

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind; the caller must not
            self.problem = "the console could not listen"

    async def stop(self) -> None:
        """Stop serving and wait until the server has closed."""
        if self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
