"""Orders killed mid-placement, clients retrying with their keys: how many keys paid twice.

::

    .venv/bin/python bench/orders_crash.py [--runs 2] [--kill-after 0.25] [--project accord.toml]
                                           [--out FILE]

The reproduction of issue 9 (1): the project's services run under the supervisor (as
``accord up`` runs them: a killed service is started again), 20 customers are
registered, 40 placements are sent at once (each with its own ``Idempotency-Key``; the
key is also written in the order's note, so every order can be tied to its key), about
250 ms later orders gets ``kill -9``, and every placement that got no final answer is
sent again with the same key and body every 2 s. Once every key is answered and the
recovery had its time, the audit reads payments' authorizations, the card processor's
journal and each order, and counts the keys with more than one order, and those charged
(captured, or settled at the processor) more than once. It prints a table per run and
writes the same as JSON. Not part of ``make test``: it measures, it does not judge.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http: this folder goes off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from accord import project as projects  # noqa: E402
from accord.supervisor import Supervisor  # noqa: E402
from shop.chaos import reads  # noqa: E402
from shop.chaos.audit import key_of_note, settled_at_processor  # noqa: E402
from shop.chaos.credentials import obtain  # noqa: E402

CUSTOMERS = 20
PLACEMENTS = 40
KILL_AFTER = 0.25
RETRY_EVERY = 2.0
ANSWER_WITHIN = 90.0
RECOVERY_WAIT = 25.0  # the keys' lease (16 s), the recovery's grace (5 s), a few rounds
ITEMS = [{"sku": "SKU-APPLE", "quantity": 1}, {"sku": "SKU-TEA", "quantity": 1}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _place_until_answered(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], key: str, seen: Counter[str]
) -> int:
    body = {"items": ITEMS, "card_token": "tok_ok", "note": f"chaos key {key}"}
    deadline = time.monotonic() + ANSWER_WITHIN
    while True:
        try:
            r = await http.post(url, json=body, headers={**headers, "Idempotency-Key": key})
            seen[str(r.status_code)] += 1
            if r.status_code != 409 and r.status_code < 500:
                return r.status_code
        except httpx.HTTPError as exc:
            seen[type(exc).__name__] += 1
        if time.monotonic() > deadline:
            return 0
        await asyncio.sleep(RETRY_EVERY)


async def one_run(project_file: Path, kill_after: float) -> dict[str, Any]:
    """One reproduction on a fresh shop; its figures."""
    with tempfile.TemporaryDirectory() as home:
        environ = {**os.environ, "ACCORD_HOME": home, "INVENTORY_SEED": "demo"}
        project = projects.load(project_file, environ=environ)
        supervisor = Supervisor(
            project, ports={n: _free_port() for n in project.services}, environ=environ
        )
        await supervisor.start()
        watcher = asyncio.create_task(supervisor.wait())
        try:
            return await _reproduce(supervisor, Path(home), kill_after)
        finally:
            watcher.cancel()
            await supervisor.stop()


async def _reproduce(supervisor: Supervisor, home: Path, kill_after: float) -> dict[str, Any]:
    urls = {name: svc.url for name, svc in supervisor.services.items()}
    async with httpx.AsyncClient(timeout=20.0) as http:
        creds = await obtain(http, urls.get("identity"), home, customers=CUSTOMERS)
        async with httpx.AsyncClient(timeout=10.0, headers=creds.operator) as ops:
            await reads.warm_up(ops, urls, lambda _m: None)
            seen: Counter[str] = Counter()
            keys = [uuid.uuid4().hex for _ in range(PLACEMENTS)]
            placing = [
                asyncio.create_task(
                    _place_until_answered(
                        http,
                        f"{urls['orders']}/v1/orders",
                        creds.customers[n % len(creds.customers)],
                        key,
                        seen,
                    )
                )
                for n, key in enumerate(keys)
            ]
            await asyncio.sleep(kill_after)
            process = supervisor.services["orders"].process
            assert process is not None
            os.kill(process.pid, signal.SIGKILL)
            finals = await asyncio.gather(*placing)
            await asyncio.sleep(RECOVERY_WAIT)
            return await _audit(ops, urls, home, keys, finals, seen)


async def _audit(
    ops: httpx.AsyncClient,
    urls: dict[str, str],
    home: Path,
    keys: list[str],
    finals: list[int],
    seen: Counter[str],
) -> dict[str, Any]:
    authorizations = await reads.authorizations(ops, urls["payments"])
    info = await reads.orders_info(ops, urls["orders"], {a.order_id for a in authorizations})
    key_of = {oid: key_of_note(note) for oid, (_, note) in info.items()}
    journal = home / "processor.jsonl"
    settled = settled_at_processor(journal.read_text(encoding="utf-8").splitlines())
    orders = Counter(key_of.values())
    captured = Counter(key_of.get(a.order_id) for a in authorizations if a.status == "captured")
    settled_keys: Counter[str | None] = Counter()
    for oid, n in settled.items():
        settled_keys[key_of.get(oid)] += n
    return {
        "keys": len(keys),
        "answered_201": sum(1 for s in finals if s == 201),
        "unanswered": sum(1 for s in finals if s == 0),
        "keys_with_two_orders": sum(1 for k in keys if orders[k] > 1),
        "double_charged_keys": sum(1 for k in keys if captured[k] > 1 or settled_keys[k] > 1),
        "captures": sum(captured.values()),
        "answers": dict(seen.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--kill-after", type=float, default=KILL_AFTER)
    parser.add_argument("--project", type=Path, default=ROOT / "accord.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/orders_crash.json")
    args = parser.parse_args()
    runs = [asyncio.run(one_run(args.project.resolve(), args.kill_after)) for _ in range(args.runs)]
    head = ("run", "keys", "201", "unanswered", "2 orders", "paid twice")
    print(" ".join(f"{h:>10}" for h in head))
    for n, r in enumerate(runs, 1):
        row = (n, r["keys"], r["answered_201"], r["unanswered"])
        row += (r["keys_with_two_orders"], r["double_charged_keys"])
        print(" ".join(f"{v:>10}" for v in row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figures = {"project": str(args.project), "kill_after": args.kill_after, "runs": runs}
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
