"""What a supervisor runs: one started service process, and the error when one does not start.

Kept apart from :mod:`accord.supervisor` so that what the supervisor drives (the data
plane) can name them without importing the supervisor back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from accord.errors import AccordError

__all__ = ["RunningService", "StartError"]


class StartError(AccordError):
    """A service could not be started or did not become ready."""


@dataclass
class RunningService:
    """One service process the supervisor started.

    ``restarts`` counts the restarts of the current streak; ``ready_at`` is when it was
    last seen ready (``time.monotonic()``).
    """

    name: str
    url: str
    port: int
    process: asyncio.subprocess.Process | None = None
    tail: list[str] = field(default_factory=list)
    restarts: int = 0
    ready_at: float | None = None
    #: This start's nonce, which the process echoes from ``/readyz`` (its own readiness).
    instance: str = ""
    #: The version label (``working``: the project's working tree).
    version: str = "working"
    #: The interpreter to run it with (a release's); None: this one, on the working tree.
    python: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: With a data plane: the port the process listens on behind ``port``.
    backend_port: int | None = None

    @property
    def probe_url(self) -> str:
        """Where the process itself answers (readiness is probed there)."""
        if self.backend_port is None:
            return self.url
        return str(httpx.URL(self.url).copy_with(port=self.backend_port)).rstrip("/")
