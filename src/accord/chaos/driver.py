"""The chaos engine: a project's services under its scenario's load, killed and faulted.

:func:`run` finds the project's scenario (``[project] chaos = "module:factory"`` in
``accord.toml``, :mod:`accord.chaos.scenario`), starts the project's services under a
:class:`~accord.supervisor.Supervisor` (free ports, its own state folder, a copy of the
project's configuration folder), and for ``duration`` seconds runs ``concurrency``
workers of the scenario's load while it plays the scenario's schedule, each step at a
fraction of the run:

- ``kill -9`` of a service: the supervisor restarts it, the step waits until it is
  ready, and what the killed process had counted (its clients' attempts, the faults it
  injected) is carried over to the report;
- faults on or off: written to the service's configuration file
  (:func:`accord.config.edit.set_faults`) in the run's copy of the folder; the running
  process reloads it (watchfiles) and the step waits until it counts the reload as
  applied, checking that it is the same process (no restart).

Then the load stops, the scenario settles and audits its services' data, and the
report holds its figures and the engine's own (:func:`accord.chaos.report.standard_figures`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from accord import project as projects
from accord.chaos.config import ChaosConfig, ChaosError, Progress
from accord.chaos.context import FaultChange, Run
from accord.chaos.report import ChaosReport, Figure, standard_figures
from accord.chaos.scenario import Scenario, Step
from accord.config.edit import set_faults
from accord.config.errors import ConfigError
from accord.config.files import DIR_VARIABLE, Layout
from accord.errors import AccordError
from accord.security.clientkeys import ClientKeys
from accord.security.tls import SUPERVISOR
from accord.supervisor import RestartPolicy, Supervisor

__all__ = ["ChaosConfig", "ChaosError", "run"]

#: Seconds a running service has to apply a fault change written to its file.
APPLY_TIMEOUT = 10.0


def load_scenario(project: projects.Project) -> Scenario:
    """A new scenario from the project's ``[project] chaos`` factory."""
    if not project.chaos:
        raise ChaosError("accord.toml names no chaos scenario ([project] chaos = 'module:factory')")
    factory = projects.import_object(project.chaos)
    return factory()  # type: ignore[no-any-return]


def _configuration(project: projects.Project, home: Path, environ: dict[str, str]) -> Layout:
    """The run's own copy of the configuration folder (the project's stays untouched)."""
    source = Layout.from_env(environ, start=project.root)
    layout = Layout(home / "config", source.env)
    if source.root.is_dir():
        shutil.copytree(source.root, layout.root, dirs_exist_ok=True)
    for folder in (layout.base_file("x").parent, layout.env_file("x").parent):
        folder.mkdir(parents=True, exist_ok=True)
    environ[DIR_VARIABLE] = str(layout.root)
    return layout


async def run(config: ChaosConfig, *, progress: Progress | None = None) -> ChaosReport:
    """Run the project's chaos scenario on the project in the current directory."""
    say = progress or (lambda _message: None)
    with contextlib.ExitStack() as stack:
        home = config.home or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        home.mkdir(parents=True, exist_ok=True)
        environ = {**os.environ, "ACCORD_HOME": str(home)}
        project = projects.load(environ=environ)
        scenario = load_scenario(project)
        layout = _configuration(project, home, environ)
        log = stack.enter_context((home / "services.log").open("a", encoding="utf-8"))
        events: list[str] = []

        def line(name: str, text: str) -> None:
            log.write(f"{name} | {text}\n")
            scenario.on_line(name, text)

        def notice(message: str) -> None:
            events.append(message)
            say(message)

        # no certificates: each service, and the supervisor's reads, sign with a key of its own
        ClientKeys.under(project.home).ensure([*project.services, SUPERVISOR])
        supervisor = Supervisor(
            project,
            ports={name: _free_port() for name in project.services},
            environ={**environ, **scenario.environ},
            on_line=line,
            on_notice=notice,
            restart=RestartPolicy(initial=0.25, maximum=2.0),
        )
        say(f"starting {', '.join(supervisor.order)} (state in {home})")
        await supervisor.start()
        watcher = asyncio.create_task(supervisor.wait())
        try:
            async with httpx.AsyncClient(timeout=10.0) as http:
                urls = {name: svc.url for name, svc in supervisor.services.items()}
                state = Run(config, project.home, urls, http, say, events)
                chaos = _Chaos(state, supervisor, scenario, layout, project)
                try:
                    return await chaos.drive()
                finally:
                    await scenario.close()
        except AccordError:
            raise
        except Exception as exc:  # the services' answers went wrong: one line, not a trace
            detail = " ".join(str(exc).split())[:300]
            raise ChaosError(
                f"the chaos run stopped: {type(exc).__name__}: {detail} "
                f"(the services' output is in {home / 'services.log'} with --home)"
            ) from exc
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
            await supervisor.stop()


class _Chaos:
    """One run: the load, the schedule, the settling and the report."""

    def __init__(
        self,
        state: Run,
        supervisor: Supervisor,
        scenario: Scenario,
        layout: Layout,
        project: projects.Project,
    ) -> None:
        self.run, self.supervisor, self.scenario = state, supervisor, scenario
        self.layout, self.project = layout, project
        self.faults: dict[str, Any] = {}

    async def drive(self) -> ChaosReport:
        """Load and schedule, then settle and audit."""
        run, config, scenario = self.run, self.run.config, self.scenario
        run.http.headers.update(await scenario.prepare(run))
        rng = random.Random(config.seed)
        stop = asyncio.Event()
        started = time.monotonic()
        workers = [
            asyncio.create_task(scenario.work(run, random.Random(rng.random()), stop))
            for _ in range(config.concurrency)
        ]
        try:
            for step in scenario.schedule:
                await self._at(started, step.at)
                await self._step(step)
            remaining = config.duration - (time.monotonic() - started)
            if remaining > 0:
                await asyncio.sleep(remaining)
        finally:
            stop.set()
            await asyncio.gather(*workers)
        settle_started = time.monotonic()
        await scenario.settle(run)
        settle_seconds = time.monotonic() - settle_started
        run.say("auditing")
        standard = await self._standard(settle_seconds)
        figures = await scenario.audit(run, standard)
        return ChaosReport.of(config.seed, config.duration, figures, standard)

    async def _at(self, started: float, fraction: float) -> None:
        delay = started + fraction * self.run.config.duration - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _step(self, step: Step) -> None:
        if step.opens:
            self.run.open_window()
        if step.before is not None:
            await step.before(self.run)
        for name in step.kill:
            await self._kill(name)
        for name, faults in step.faults.items():
            await self._set_faults(name, faults)
        if step.after is not None:
            await step.after(self.run)
        if step.closes:
            self.run.close_window()

    def _pid(self, name: str) -> int:
        process = self.supervisor.services[name].process
        if process is None:
            raise ChaosError(f"{name} is not running")
        return process.pid

    async def _kill(self, name: str) -> None:
        """``kill -9`` ``name``; back when the supervisor restarted it and it is ready."""
        run, old = self.run, self._pid(name)
        counted = await run.counters(name, carried=False)
        run.carried.setdefault(name, Counter()).update(counted)
        run.say(f"kill -9 {name} (pid {old})")
        with contextlib.suppress(ProcessLookupError):
            os.kill(old, signal.SIGKILL)
        await self._wait_restarted(name, old)
        run.kills[name] += 1
        run.back[name] = time.monotonic()

    async def _wait_restarted(self, name: str, old_pid: int) -> None:
        svc = self.supervisor.services[name]
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            process = svc.process
            if process is not None and process.pid != old_pid and process.returncode is None:
                with contextlib.suppress(httpx.HTTPError):
                    ready = await self.run.http.get(svc.url + "/readyz", timeout=1.0)
                    if ready.status_code == 200:
                        return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{name} did not come back within 60 s")

    async def _set_faults(self, name: str, faults: Any) -> None:
        """Write ``name``'s faults to its file; back when the same process applied them."""
        if self.faults.get(name) == faults:
            return  # nothing would change: the service would not count a reload
        run, pid = self.run, self._pid(name)
        applied = {"result": "applied"}
        before = (await run.counters(name, applied)).get("accord_config_reloads", 0.0)
        spec = self.project.services[name]
        settings = projects.import_object(spec.settings) if spec.settings else None
        written = time.monotonic()
        try:
            set_faults(self.layout, name, faults, settings=settings)
        except ConfigError as exc:
            raise ChaosError(f"cannot set {name}'s faults: {exc}") from None
        self.faults[name] = faults
        deadline = written + APPLY_TIMEOUT
        while time.monotonic() < deadline:
            now = await run.counters(name, applied)
            if now.get("accord_config_reloads", 0.0) > before:
                break
            await asyncio.sleep(0.05)
        else:
            raise ChaosError(f"{name} did not apply its new faults within {APPLY_TIMEOUT:g} s")
        change = FaultChange(
            name, faults is not None, pid, self._pid(name), round(time.monotonic() - written, 2)
        )
        run.fault_changes.append(change)
        state = "on" if change.on else "off"
        run.say(f"faults {state} for {name} (pid {pid}, applied live in {change.seconds:g} s)")

    async def _standard(self, settle_seconds: float) -> dict[str, Figure]:
        totals: Counter[str] = Counter()
        for name in self.run.urls:
            totals.update(await self.run.counters(name))
        return standard_figures(
            attempts=totals["accord_client_attempts"],
            calls=totals["accord_client_calls"],
            breaker_opened=totals["accord_client_breaker_opened"],
            latencies=self.run.latencies,
            under_fault=self.run.under_fault,
            restarts=sum(1 for e in self.run.events if "restarting in" in e),
            faults_injected=totals["accord_faults_injected"],
            settle_seconds=settle_seconds,
            events=self.run.events,
            fault_changes=self.run.describe(),
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
