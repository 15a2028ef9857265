"""A service for the SLO tests: it answers with the status it is asked for."""

from __future__ import annotations

import msgspec

from accord import Contract, operation
from accord.errors import InternalError, NotFound
from accord.observability import Telemetry
from accord.runtime import App
from accord.slo import availability, latency


class Ask(msgspec.Struct):
    status: int = 200


class Answer(msgspec.Struct):
    status: int


class Echo(Contract, name="echo", version="1.3.0"):
    """Answers with the status it is asked for."""

    answer = operation(Ask, Answer, method="POST")
    ping = operation(Ask, Answer, method="POST", path="/ping")


class EchoService:
    """Fails on request: 500 or 404."""

    async def answer(self, request: Ask) -> Answer:
        if request.status == 500:
            raise InternalError()
        if request.status == 404:
            raise NotFound()
        return Answer(status=request.status)

    async def ping(self, request: Ask) -> Answer:
        return Answer(status=200)


SLOS = (
    availability(0.99),
    latency(2.5, 0.9, operation=Echo.answer),
)


def factory() -> App:
    """The app ``accord serve tests.integration.slo.service:factory`` runs."""
    return App(Echo, EchoService(), telemetry=Telemetry.configure(Echo.name, Echo.version))
