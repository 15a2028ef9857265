"""A service for the serving tests: one fast and one slow operation, real telemetry."""

from __future__ import annotations

import logging

import anyio
import msgspec

from accord import Contract, operation
from accord.observability import Telemetry
from accord.runtime import App


class Nap(msgspec.Struct):
    seconds: float


class Woke(msgspec.Struct):
    slept: float


class Sleeper(Contract, name="sleeper", version="1.0.0"):
    """Sleeps on request."""

    nap = operation(Nap, Woke, method="POST")


class SleeperService:
    """Sleeps as long as it is asked to."""

    async def nap(self, request: Nap) -> Woke:
        if request.seconds:  # so a test can wait until a slow request is in flight
            logging.getLogger(__name__).info("nap started: %s s", request.seconds)
        await anyio.sleep(request.seconds)
        return Woke(slept=request.seconds)


def factory() -> App:
    """The app ``accord serve tests.integration.runtime.service:factory`` runs."""
    telemetry = Telemetry.configure(Sleeper.name, Sleeper.version)
    return App(Sleeper, SleeperService(), telemetry=telemetry)
