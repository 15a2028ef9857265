"""A tiny project for the chaos engine: one service that counts, and a scenario of its own.

The service (``counter``) appends a line to ``<home>/counted.txt`` for every ``POST
/v1/bump`` it answers and is built as any accord service is: settings from its files, live
reload, fault injection. The scenario bumps it from every worker, kills it once,
switches its faults on (every bump answered 503) and off again by editing its file, and
audits that no acknowledged bump is missing from the file.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import httpx
import msgspec

from accord import App, Contract, Idempotency, operation
from accord.chaos import Figure, Run, Step, held_to_zero
from accord.config import ServiceConfig
from accord.config.common import ServiceSettings, fault_injection, follow_observability
from accord.observability.telemetry import Telemetry
from accord.runtime.faults import AbortFault, FaultConfig

SERVICE = "counter"
COUNTED = "counted.txt"


class Bump(msgspec.Struct):
    pass


class Bumped(msgspec.Struct):
    pid: int


class Counting(Contract, name="counting", version="1.0.0"):
    bump = operation(Bump, Bumped, method="POST", path="/bump", idempotency=Idempotency.IDEMPOTENT)


class Settings(ServiceSettings, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The counter's settings: the runtime's only."""

    schema_version: ClassVar[str] = "1.0.0"


class _Counter:
    def __init__(self, path: Path) -> None:
        self._path = path

    async def bump(self, request: Bump) -> Bumped:
        with self._path.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return Bumped(pid=os.getpid())


def create_app() -> App:
    """The counter, with its settings watched and its faults applied live."""
    config = ServiceConfig.of(Settings, SERVICE, None)
    home = Path(config.settings.home)
    home.mkdir(parents=True, exist_ok=True)
    telemetry = Telemetry.configure(Counting.name, Counting.version, home=home)
    follow_observability(config, telemetry)
    return App(
        Counting,
        _Counter(home / COUNTED),
        telemetry=telemetry,
        on_startup=[config.start],
        on_shutdown=[config.stop],
        layers=[config.live.layer(), fault_injection(config.live, telemetry)],
    )


class TinyScenario:
    """Bump, kill, fault, audit (the module docstring)."""

    environ: Mapping[str, str] = {}

    def __init__(self) -> None:
        self.answers: Counter[str] = Counter()
        self.acknowledged = 0
        self._http = httpx.AsyncClient(timeout=5.0)
        self.schedule = (
            Step(0.2, kill=(SERVICE,), opens=True, closes=True),
            Step(0.4, faults={SERVICE: FaultConfig(abort=AbortFault(status=503))}, opens=True),
            Step(0.7, faults={SERVICE: None}, closes=True),
        )

    async def prepare(self, run: Run) -> Mapping[str, str]:
        return {}

    async def work(self, run: Run, rng: random.Random, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                r = await self._http.post(run.urls[SERVICE] + "/v1/bump", json={})
                self.answers[str(r.status_code)] += 1
                self.acknowledged += r.status_code == 200
            except httpx.HTTPError as exc:
                self.answers[type(exc).__name__] += 1
            run.record(started, (time.monotonic() - started) * 1000)
            await asyncio.sleep(rng.uniform(0.01, 0.05))

    def on_line(self, service: str, line: str) -> None:
        pass

    async def settle(self, run: Run) -> None:
        pass

    async def audit(self, run: Run, standard: Mapping[str, Figure]) -> list[Figure]:
        counted = len((run.home / COUNTED).read_text(encoding="utf-8").splitlines())
        lost = max(0, self.acknowledged - counted)
        return [
            Figure("bumps_acknowledged", "bumps acknowledged", self.acknowledged),
            Figure("bumps_counted", "bumps counted", counted),
            held_to_zero("bumps_lost", "bumps lost", lost, "{n} acknowledged bump(s) lost"),
            Figure("answers", "", dict(self.answers)),
            Figure("kills", "", dict(run.kills)),
        ]

    async def close(self) -> None:
        await self._http.aclose()
