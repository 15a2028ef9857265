"""The README's tour, run as written: its shell blocks and its Python client against a
real `accord up`.

The blocks are read from README.md, not copied here. The only changes made to them are
the ports and the state folder: the shop runs on free ports (a temporary ACCORD_HOME,
stopped by PID at the end), so every `localhost:81xx` / `127.0.0.1:81xx` / `--port 81xx`
of the tour is pointed at them, and `.accord/` (where the CA the tour trusts is made) at
that home. The blocks of NOT_RUN_HERE are left to their own tests; the
`accord serve` block runs in the background until its service is ready.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord import lifetime
from tests.support.processes import ROOT, free_port, stop, wait_http

pytestmark = pytest.mark.e2e

#: Blocks left to their own tests: they start a shop of their own (chaos, rollout), edit
#: the repository's configuration files (config, flags), or serve in the foreground.
NOT_RUN_HERE = ("chaos", "serve", "config", "flags", "rollout", "release")
TOUR = re.compile(r"^## A five-minute tour$(.*?)^## ", re.M | re.S)
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.M | re.S)
PORT = re.compile(r"(?:(?<=localhost:)|(?<=127\.0\.0\.1:)|(?<=--port ))(81\d\d)\b")


def tour_blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = TOUR.search(text)
    assert found, "README.md has no '## A five-minute tour' section"
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(found.group(1))]


def default_ports() -> dict[str, int]:
    project = tomllib.loads((ROOT / "accord.toml").read_text(encoding="utf-8"))
    return {name: int(svc["port"]) for name, svc in project["services"].items()}


def repoint(code: str, ports: dict[int, int], home: Path | None = None) -> str:
    code = PORT.sub(lambda m: str(ports.get(int(m.group(1)), m.group(1))), code)
    return code.replace(".accord/", f"{home}/") if home is not None else code


class Shop:
    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home = home
        self.ports = ports
        self.env = {**os.environ, "ACCORD_HOME": str(home)}
        defaults = default_ports()
        self.mapping = {defaults[name]: port for name, port in ports.items()}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("tour-home")
    shop = Shop(home, {name: free_port() for name in default_ports()})
    argv = [sys.executable, "-m", "accord", "up", "--raw"]
    for name, port in shop.ports.items():
        argv += ["--port", f"{name}={port}"]
    with (home / "up.log").open("wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=shop.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while not (home / "run.json").exists():  # every service ready, over TLS
                assert proc.poll() is None, (home / "up.log").read_text()
                assert time.monotonic() < deadline, "accord up did not start in time"
                time.sleep(0.1)
            yield shop
        finally:
            stop(proc)


def test_the_contract_snippets_show_the_versions_of_the_files() -> None:
    shown = [
        (name, version)
        for lang, code in tour_blocks()
        if lang == "python"
        for name, version in re.findall(r'Contract, name="(\w+)", version="([\d.]+)"', code)
    ]
    assert shown, "the tour shows no contract"
    for name, version in shown:
        module = importlib.import_module(f"shop.{name}.contract")
        contract = next(
            value
            for value in vars(module).values()
            if isinstance(value, type) and getattr(value, "name", None) == name
        )
        assert contract.version == version, f"README shows {name} {version}"


def test_the_shell_tour_runs_as_written(shop: Shop) -> None:
    script = ["set -eo pipefail"]
    for lang, code in tour_blocks():
        if lang != "sh" or any(f"accord {c}" in code for c in NOT_RUN_HERE):
            continue
        script.append(repoint(code, shop.mapping, shop.home))
    script.append('echo "TOUR-TRACE=$TRACE"')
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=ROOT,
        env=shop.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, f"{out}\n{result.stderr}"
    assert '"status":"confirmed"' in out, out
    trace = re.search(r"^TOUR-TRACE=([0-9a-f]{32})$", out, re.M)
    assert trace, out
    # The waterfall of that very order spans the services it called.
    waterfall = out[out.index("x-correlation-id") :]
    assert trace.group(1)[:16] in waterfall or trace.group(1) in waterfall
    for service in ("orders", "inventory", "payments"):
        assert service in waterfall, waterfall


def test_the_python_client_runs_as_written(shop: Shop) -> None:
    [code] = [code for lang, code in tour_blocks() if lang == "python" and "asyncio.run(" in code]
    subprocess.run(
        ["bash", "-c", repoint(
            "curl -s --cacert .accord/certs/ca.crt -X POST https://localhost:8104/v1/customers "
            "-H 'content-type: application/json' "
            "-H 'idempotency-key: py-tour' "
            "-d '{\"email\":\"ada@shop.test\",\"password\":\"correct horse\"}'",
            shop.mapping,
            shop.home,
        )],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", repoint(code, shop.mapping, shop.home)],
        cwd=ROOT,
        env=shop.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\S+ confirmed \d+ EUR\n", result.stdout), result.stdout


def test_the_serve_block_serves(shop: Shop) -> None:
    [code] = [code for lang, code in tour_blocks() if lang == "sh" and "accord serve" in code]
    port = free_port()
    command = re.sub(r"--port \d+", f"--port {port}", code.strip())
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=ROOT,
        env=shop.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        wait_http(f"http://127.0.0.1:{port}/docs", timeout=10)
    finally:
        lifetime.send(proc.pid, signal.SIGTERM)
        stop(proc)
