"""The kill switch in ``accord demo``: ``pause-orders`` flipped on and off while the shop runs.

The demo edits the flags file the services read (``config/<env>/flags.json``, as
:class:`~accord.flags.FlagSettings` finds it), exactly as an operator would with
``accord flags set pause-orders on``, and puts the file back byte for byte afterwards.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from accord.flags import FlagFileError, FlagSettings, read_flags, write_flags
from accord.flags.edit import set_variant
from shop.orders.flags import PAUSE_ORDERS

__all__ = ["KillSwitch", "until"]


class KillSwitch:
    """``pause-orders`` in one flags file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_env(cls) -> KillSwitch | None:
        """The switch of the file the services read; ``None`` when there is none."""
        path = Path(FlagSettings.from_env(os.environ).path)
        try:
            flags = read_flags(path)["flags"]
        except FlagFileError:
            return None
        return cls(path) if PAUSE_ORDERS.key in flags else None

    @asynccontextmanager
    async def on(self) -> AsyncIterator[None]:
        """Orders paused inside the block; the file as it was after it."""
        original = self.path.read_bytes()
        write_flags(self.path, set_variant(read_flags(self.path), PAUSE_ORDERS.key, "on"))
        try:
            yield
        finally:
            temporary = self.path.with_name(f".{self.path.name}.demo")
            temporary.write_bytes(original)
            temporary.replace(self.path)


async def until(call: Callable[[], Awaitable[str]], expected: str, timeout: float = 5.0) -> str:
    """``call()`` again until it answers ``expected`` (the services poll their flags
    file), at most ``timeout`` seconds; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        got = await call()
        if got == expected or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)
