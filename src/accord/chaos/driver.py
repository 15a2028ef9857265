"""The chaos run: the shop under load while its services are killed, slowed and failed.

:func:`run` starts the project's services under a :class:`~accord.supervisor.Supervisor`
(free ports, its own state folder), then, for ``duration`` seconds, places orders from
``concurrency`` workers — each order sent ``duplicates`` times at once with one
``Idempotency-Key`` — while a schedule, a fraction of the run each, does:

==========  ==============================================================================
at          what
==========  ==============================================================================
10 %        ``kill -9`` inventory (the supervisor restarts it)
25 %        ``kill -9`` payments
40 %        inventory restarted with faults: 30 % of requests delayed 0.3 s, 10 % answered 503
60 %        payments restarted answering every request 503 (its breaker in orders opens)
75 %        both restarted without faults (the breaker closes again)
85 %        ``kill -9`` orders (placements in flight are finished by its recovery)
==========  ==============================================================================

Then the load stops, the run waits until nothing is held any more (the recovery in
orders lets go of what failed orders left behind), and the services' own data is read
back through their APIs and audited (:mod:`accord.chaos.audit`).
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
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord import project as projects
from accord.chaos import reads
from accord.chaos.audit import amplification, settled_at_processor, tally
from accord.chaos.credentials import Credentials, obtain
from accord.chaos.logs import BreakerOpening, BreakerRejections
from accord.chaos.reads import Progress
from accord.chaos.report import ChaosReport, percentile
from accord.errors import AccordError
from accord.supervisor import RestartPolicy, Supervisor

__all__ = ["ChaosConfig", "ChaosError", "run"]

#: Card tokens the load pays with: one order in ten is declined.
_CARDS = ("tok_ok",) * 18 + ("tok_declined", "tok_insufficient_funds")
#: Inventory's faults from 40 %, and payments' from 60 % (``<SERVICE>_FAULTS``).
_SLOW = {"delay": {"seconds": 0.3, "percent": 30}, "abort": {"status": 503, "percent": 10}}
_DOWN = {"abort": {"status": 503, "percent": 100}}
#: Seconds a worker waits after an order was refused as unavailable.
_PAUSE = 0.2
#: Seconds after orders is back before its recovery has finished interrupted placements
#: (its grace, 5 s, and a few rounds).
_RECOVERY_WAIT = 9.0
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
class _Load:
    """What the load saw, request by request."""

    acknowledged: dict[str, list[str]] = field(default_factory=dict)
    attempted: int = 0
    rejected: int = 0
    unavailable: int = 0
    sent: int = 0
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (start, ms)
    answers: Counter[str] = field(default_factory=Counter)  # "503 unavailable": count


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
    orders_back: float | None = None  # when orders was ready again after its kill

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
    load, faults = _Load(), _Faults()
    stop = asyncio.Event()
    started = time.monotonic()
    workers = [
        asyncio.create_task(
            _worker(
                http,
                urls["orders"],
                random.Random(rng.random()),
                skus,
                creds,
                config,
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
    ids = {oid for oids in load.acknowledged.values() for oid in oids}
    orders = {oid: await reads.order_status(ops, urls["orders"], oid) for oid in sorted(ids)}
    authorizations = await reads.authorizations(ops, urls["payments"])
    for auth in authorizations:
        if auth.order_id not in orders:
            orders[auth.order_id] = await reads.order_status(ops, urls["orders"], auth.order_id)
    counted = tally(
        acknowledged=load.acknowledged,
        orders=orders,
        before=before,
        after=await reads.stock(ops, urls["inventory"]),
        reservations=await reads.reservations(ops, urls["inventory"]),
        authorizations=authorizations,
        settled=_settled(supervisor.project.home / "processor.jsonl"),
    )
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
        requests_sent=load.sent,
        retry_amplification=round(
            amplification(
                client.get("accord_client_attempts", 0.0), client.get("accord_client_calls", 0.0)
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


# -- the load --------------------------------------------------------------------------


async def _worker(
    http: httpx.AsyncClient,
    orders_url: str,
    rng: random.Random,
    skus: list[str],
    creds: Credentials,
    config: ChaosConfig,
    load: _Load,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        picked = rng.sample(skus, k=rng.randint(1, min(2, len(skus))))
        customer = rng.randrange(len(creds.customers))
        headers = creds.customers[customer]
        body: dict[str, Any] = {
            "items": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in picked],
            "card_token": rng.choice(_CARDS),
        }
        if not headers:  # no identity service: the body names the customer
            body["customer_id"] = f"chaos-{customer}"
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        load.attempted += 1
        answers = await asyncio.gather(
            *(_place(http, orders_url, body, key, headers, load) for _ in range(config.duplicates))
        )
        if not any(status == 201 for status, _ in answers) and any(
            status == 409 for status, _ in answers
        ):
            # The first of the duplicates was still in flight: ask again for its answer.
            await asyncio.sleep(0.5)
            answers.append(await _place(http, orders_url, body, key, headers, load))
        acknowledged = [oid for status, oid in answers if status == 201 and oid]
        if acknowledged:
            load.acknowledged[key] = acknowledged
        elif any(status >= 500 or status == 0 for status, _ in answers):
            load.unavailable += 1
            await asyncio.sleep(_PAUSE)  # a client that is refused waits before its next order
        else:
            load.rejected += 1


async def _place(
    http: httpx.AsyncClient,
    orders_url: str,
    body: dict[str, Any],
    key: str,
    headers: Mapping[str, str],
    load: _Load,
) -> tuple[int, str | None]:
    started = time.monotonic()
    load.sent += 1
    try:
        r = await http.post(
            f"{orders_url}/v1/orders", json=body, headers={**headers, "Idempotency-Key": key}
        )
    except httpx.HTTPError as exc:
        load.latencies.append((started, (time.monotonic() - started) * 1000))
        load.answers[type(exc).__name__] += 1
        return 0, None
    load.latencies.append((started, (time.monotonic() - started) * 1000))
    if r.status_code == 201:
        load.answers["201"] += 1
        return 201, str(r.json().get("order_id"))
    code = ""
    with contextlib.suppress(ValueError, AttributeError):
        code = str(r.json().get("code", ""))
    load.answers[f"{r.status_code} {code}".strip()] += 1
    return r.status_code, None


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
    faults.orders_back = time.monotonic()
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
