"""The chaos run: the shop under load while its services are killed, slowed and failed.

:func:`run` starts the project's services under a :class:`~accord.supervisor.Supervisor`
(free ports, its own state folder), then, for ``duration`` seconds, places orders from
``concurrency`` workers — each order sent ``duplicates`` times at once with one
``Idempotency-Key``, and sent again with that key while no final answer came, as a
client does (:mod:`accord.chaos.load`) — while a schedule, a fraction of the run each,
does:

==========  ==============================================================================
at          what
==========  ==============================================================================
10 %        ``kill -9`` inventory (the supervisor restarts it)
25 %        ``kill -9`` payments
40 %        inventory restarted with faults: 30 % of requests delayed 0.3 s, 10 % answered 503
50 %        ``kill -9`` orders (placements in flight are retried with their keys)
60 %        payments restarted answering every request 503 (its breaker in orders opens)
75 %        both restarted without faults (the breaker closes again)
85 %        ``kill -9`` orders again
==========  ==============================================================================

Then the load stops, the run waits until nothing is held any more (the recovery in
orders lets go of what failed orders left behind), and the services' own data is read
back through their APIs and audited (:mod:`accord.chaos.audit`), per order and per key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord import project as projects
from accord.chaos import reads
from accord.chaos.audit import (
    PerKey,
    Tally,
    amplification,
    key_of_note,
    per_key,
    settled_at_processor,
    tally,
)
from accord.chaos.credentials import Credentials, obtain
from accord.chaos.load import Load, worker
from accord.chaos.logs import BreakerOpening, BreakerRejections
from accord.chaos.reads import Progress
from accord.chaos.report import ChaosReport, percentile
from accord.errors import AccordError
from accord.supervisor import RestartPolicy, Supervisor

__all__ = ["ChaosConfig", "ChaosError", "run"]

#: Inventory's faults from 40 %, and payments' from 60 % (``<SERVICE>_FAULTS``).
_SLOW = {"delay": {"seconds": 0.3, "percent": 30}, "abort": {"status": 503, "percent": 10}}
_DOWN = {"abort": {"status": 503, "percent": 100}}
#: Seconds after orders is back before its recovery has finished interrupted placements
#: that no retry resumed: a placement claimed just before the kill drives its order for
#: the key's lease (twice the operation's timeout, 16 s), then the recovery waits its
#: grace (5 s) and needs a round or two.
_RECOVERY_WAIT = 23.0
#: Orders' client counters the report adds up across its restarts.
_CARRIED = ("accord_client_attempts", "accord_client_calls", "accord_client_breaker_opened")


class ChaosError(AccordError):
    """The run could not go on (a service kept failing to answer, a token was refused)."""


@dataclass(frozen=True)
class ChaosConfig:
    """How long, how hard and how reproducibly to run.

    ``duration``: seconds of load (the schedule is a fraction of it); ``seed``: the
    load's choices (items, quantities, cards, keys); ``concurrency`` workers, each
    sending every order ``duplicates`` times at once; ``settle_timeout``: the longest
    wait for nothing to be held once the load stopped; ``customers`` registered with
    the identity service; ``home``: a state folder to keep (default: a temporary one).
    """

    duration: float = 60.0
    seed: int = 1
    concurrency: int = 6
    duplicates: int = 3
    settle_timeout: float = 60.0
    customers: int = 8
    home: Path | None = None


@dataclass
class _Seen:
    """What the run saw of the services: the supervisor's lines, breaker refusals."""

    events: list[str] = field(default_factory=list)
    rejections: BreakerRejections = field(default_factory=BreakerRejections)
    opening: BreakerOpening = field(default_factory=BreakerOpening)


@dataclass
class _Faults:
    """When faults were on (monotonic start, end or None while on)."""

    windows: list[list[float | None]] = field(default_factory=list)
    injected: float = 0.0  # faults counted by processes since restarted
    carried: Counter[str] = field(default_factory=Counter)  # orders' counters before a kill
    when_down: float | None = None  # attempts per call to payments while it failed 100 %
    orders_back: float | None = None  # when orders was ready again after its last kill
    orders_killed: int = 0

    def begin(self) -> None:
        self.windows.append([time.monotonic(), None])

    def end(self) -> None:
        if self.windows and self.windows[-1][1] is None:
            self.windows[-1][1] = time.monotonic()

    def covers(self, moment: float) -> bool:
        return any(
            start is not None and start <= moment and (end is None or moment <= end)
            for start, end in self.windows
        )


async def run(config: ChaosConfig, *, progress: Progress | None = None) -> ChaosReport:
    """Run the chaos run on the project in the current directory; the audited figures."""
    say = progress or (lambda _message: None)
    with contextlib.ExitStack() as stack:
        home = config.home or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        home.mkdir(parents=True, exist_ok=True)
        environ = {**os.environ, "ACCORD_HOME": str(home)}
        project = projects.load(environ=environ)
        log = stack.enter_context((home / "services.log").open("a", encoding="utf-8"))
        seen = _Seen()

        def line(name: str, text: str) -> None:
            log.write(f"{name} | {text}\n")
            seen.rejections.feed(name, text)
            seen.opening.feed(name, text)

        def notice(message: str) -> None:
            seen.events.append(message)
            say(message)

        supervisor = Supervisor(
            project,
            ports={name: _free_port() for name in project.services},
            environ={**environ, "INVENTORY_SEED": "demo"},
            on_line=line,
            on_notice=notice,
            restart=RestartPolicy(initial=0.25, maximum=2.0),
        )
        say(f"starting {', '.join(supervisor.order)} (state in {home})")
        await supervisor.start()
        watcher = asyncio.create_task(supervisor.wait())
        try:
            return await _run(config, supervisor, seen, say)
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


async def _run(
    config: ChaosConfig, supervisor: Supervisor, seen: _Seen, say: Progress
) -> ChaosReport:
    urls = {name: svc.url for name, svc in supervisor.services.items()}
    rng = random.Random(config.seed)
    limits = httpx.Limits(max_connections=config.concurrency * config.duplicates + 8)
    async with httpx.AsyncClient(timeout=15.0, limits=limits) as http:
        creds = await obtain(
            http, urls.get("identity"), supervisor.project.home, customers=config.customers
        )
        say(f"{len(creds.customers)} customer(s) ready")
        async with httpx.AsyncClient(timeout=10.0, headers=creds.operator) as ops:
            return await _drive(config, supervisor, urls, rng, http, ops, creds, seen, say)


async def _drive(
    config: ChaosConfig,
    supervisor: Supervisor,
    urls: Mapping[str, str],
    rng: random.Random,
    http: httpx.AsyncClient,
    ops: httpx.AsyncClient,
    creds: Credentials,
    seen: _Seen,
    say: Progress,
) -> ChaosReport:
    await reads.warm_up(ops, urls, say)
    before = {row.sku: row.total for row in await reads.stock(ops, urls["inventory"])}
    skus = sorted(before)
    load, faults = Load(), _Faults()
    stop = asyncio.Event()
    started = time.monotonic()
    workers = [
        asyncio.create_task(
            worker(
                http,
                urls["orders"],
                random.Random(rng.random()),
                skus,
                creds,
                config.duplicates,
                load,
                stop,
            )
        )
        for _ in range(config.concurrency)
    ]
    breaker_close = await _schedule(config, supervisor, ops, urls, faults, seen, say)
    remaining = config.duration - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    stop.set()
    await asyncio.gather(*workers)
    say(f"load stopped: {load.attempted} orders attempted; settling")
    settle_started = time.monotonic()
    if faults.orders_back is not None:
        # Placements orders was running when killed are finished by its recovery once
        # they are past its grace: give it that long before reading anything back.
        await asyncio.sleep(max(0.0, faults.orders_back + _RECOVERY_WAIT - time.monotonic()))
    await reads.settle(ops, urls, config.settle_timeout, say)
    settle_seconds = time.monotonic() - settle_started

    say("auditing")
    audit = _Audit(config, supervisor, urls, ops, load, faults, seen, before)
    return await audit.report(breaker_close, settle_seconds)


@dataclass
class _Audit:
    """Reads the services' data back once the run settled, and counts the invariants."""

    config: ChaosConfig
    supervisor: Supervisor
    urls: Mapping[str, str]
    ops: httpx.AsyncClient
    load: Load
    faults: _Faults
    seen: _Seen
    before: dict[str, int]

    async def report(self, breaker_close: float | None, settle_seconds: float) -> ChaosReport:
        """The figures of the run."""
        config, load, faults, seen, urls, ops = (
            self.config,
            self.load,
            self.faults,
            self.seen,
            self.urls,
            self.ops,
        )
        counted, keyed = await self._invariants()
        client = Counter(await reads.metrics(ops, urls["orders"]))
        client.update(faults.carried)
        injected = faults.injected
        for name in ("inventory", "payments"):
            injected += (await reads.metrics(ops, urls[name])).get("accord_faults_injected", 0.0)
        all_ms = [ms for _, ms in load.latencies]
        fault_ms = [ms for start, ms in load.latencies if faults.covers(start)]
        return ChaosReport(
            seed=config.seed,
            duration_s=config.duration,
            orders_attempted=load.attempted,
            orders_acknowledged=len(load.acknowledged),
            orders_rejected=load.rejected,
            orders_unavailable=load.unavailable,
            orders_lost=counted.orders_lost,
            double_charges=counted.double_charges,
            stock_conserved=counted.stock_conserved,
            orphan_reservations=counted.orphan_reservations,
            orphan_authorizations=counted.orphan_authorizations,
            charged_rejected=counted.charged_rejected,
            unrecorded_charges=counted.unrecorded_charges,
            duplicate_orders=counted.duplicate_orders,
            keys_audited=keyed.keys,
            keys_retried=load.retried,
            orders_killed=faults.orders_killed,
            double_charges_per_key=keyed.double_charges,
            duplicate_orders_per_key=keyed.duplicate_orders,
            duplicate_reservations_per_key=keyed.duplicate_reservations,
            duplicate_authorizations_per_key=keyed.duplicate_authorizations,
            requests_sent=load.sent,
            retry_amplification=round(
                amplification(
                    client.get("accord_client_attempts", 0.0),
                    client.get("accord_client_calls", 0.0),
                ),
                3,
            ),
            retry_amplification_when_down=(
                None if faults.when_down is None else round(faults.when_down, 3)
            ),
            breaker_opened=int(client.get("accord_client_breaker_opened", 0.0)),
            breaker_open_after_calls=seen.opening.failed_calls,
            breaker_close_seconds=breaker_close,
            p99_ms=_rounded(percentile(all_ms, 99)),
            p99_ms_under_fault=_rounded(percentile(fault_ms, 99)),
            open_rejection_p99_ms=_rounded(percentile(seen.rejections.durations(), 99)),
            restarts=sum(1 for e in seen.events if "restarting in" in e),
            faults_injected=int(injected),
            settle_seconds=round(settle_seconds, 2),
            events=seen.events,
            answers=dict(load.answers.most_common()),
            unconserved_skus=list(counted.unconserved_skus),
        )

    async def _invariants(self) -> tuple[Tally, PerKey]:
        """Per order and per key, from every order the answers, inventory and payments
        name (each order's key read from its note)."""
        ops, urls = self.ops, self.urls
        authorizations = await reads.authorizations(ops, urls["payments"])
        reservations = await reads.reservations(ops, urls["inventory"])
        ids = {oid for oids in self.load.acknowledged.values() for oid in oids}
        ids |= {a.order_id for a in authorizations} | {r.order_id for r in reservations}
        info = await reads.orders_info(ops, urls["orders"], ids)
        settled = _settled(self.supervisor.project.home / "processor.jsonl")
        counted = tally(
            acknowledged=self.load.acknowledged,
            orders={oid: status for oid, (status, _) in info.items()},
            before=self.before,
            after=await reads.stock(ops, urls["inventory"]),
            reservations=reservations,
            authorizations=authorizations,
            settled=settled,
        )
        keys = {oid: key_of_note(note) for oid, (_, note) in info.items()}
        return counted, per_key(keys, reservations, authorizations, settled)


# -- the schedule ----------------------------------------------------------------------


async def _schedule(
    config: ChaosConfig,
    supervisor: Supervisor,
    http: httpx.AsyncClient,
    urls: Mapping[str, str],
    faults: _Faults,
    seen: _Seen,
    say: Progress,
) -> float | None:
    """Kill, slow and fail services in turn; how long the breaker took to close (s)."""
    started = time.monotonic()

    async def at(fraction: float) -> None:
        delay = started + fraction * config.duration - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def restart(name: str, sig: int, faults_env: dict[str, Any] | None) -> None:
        variable = f"{name.upper()}_FAULTS"
        env = supervisor.extra_env.setdefault(name, {})
        if faults_env is None:
            env.pop(variable, None)
        else:
            env[variable] = json.dumps(faults_env)
        process = supervisor.services[name].process
        assert process is not None
        old = process.pid
        counted = await reads.metrics(http, urls[name])
        faults.injected += counted.get("accord_faults_injected", 0.0)
        if name == "orders":  # its clients' counters die with it: carry them over
            faults.carried.update({k: v for k, v in counted.items() if k in _CARRIED})
        say(f"{'kill -9' if sig == signal.SIGKILL else 'restart'} {name} (pid {old})")
        with contextlib.suppress(ProcessLookupError):
            os.kill(old, sig)
        await _wait_restarted(supervisor, name, old, http)
        if name == "orders":
            faults.orders_killed += 1
            faults.orders_back = time.monotonic()

    await at(0.10)
    faults.begin()
    await restart("inventory", signal.SIGKILL, None)
    faults.end()
    await at(0.25)
    faults.begin()
    await restart("payments", signal.SIGKILL, None)
    faults.end()
    await at(0.40)
    faults.begin()
    await restart("inventory", signal.SIGKILL, _SLOW)
    await at(0.50)
    await restart("orders", signal.SIGKILL, None)  # placements in flight: retried by key
    await at(0.60)
    seen.opening.arm()  # payments is down from its kill on
    await restart("payments", signal.SIGKILL, _DOWN)
    down_from = await reads.metrics(http, urls["orders"], downstream="payments")
    await at(0.75)
    down_to = await reads.metrics(http, urls["orders"], downstream="payments")
    faults.when_down = amplification(
        down_to.get("accord_client_attempts", 0.0) - down_from.get("accord_client_attempts", 0.0),
        down_to.get("accord_client_calls", 0.0) - down_from.get("accord_client_calls", 0.0),
    )
    await restart("inventory", signal.SIGTERM, None)
    await restart("payments", signal.SIGTERM, None)
    back = time.monotonic()
    closed = await _breaker_closed(http, urls["orders"], "payments", back, timeout=20.0)
    faults.end()
    await at(0.85)
    faults.begin()
    await restart("orders", signal.SIGKILL, None)
    faults.end()
    return closed


async def _wait_restarted(
    supervisor: Supervisor, name: str, old_pid: int, http: httpx.AsyncClient
) -> None:
    svc = supervisor.services[name]
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        process = svc.process
        if process is not None and process.pid != old_pid and process.returncode is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(svc.url + "/readyz", timeout=1.0)).status_code == 200:
                    return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{name} did not come back within 60 s")


async def _breaker_closed(
    http: httpx.AsyncClient, orders_url: str, downstream: str, since: float, *, timeout: float
) -> float | None:
    """Seconds from ``since`` until orders' breaker for ``downstream`` reads closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await reads.breaker_state(http, orders_url, downstream)
        if state == 0.0:
            return round(time.monotonic() - since, 2)
        if state is None:
            return None  # no breaker exported
        await asyncio.sleep(0.1)
    return None


def _settled(journal: Path) -> dict[str, int]:
    """What the card processor settled per order (nothing when it keeps no journal)."""
    try:
        return settled_at_processor(journal.read_text(encoding="utf-8").splitlines())
    except OSError:
        return {}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
