"""A served service reloads its configuration files live, or refuses them and keeps serving.

One payments process serves for the whole module, from a configuration folder in a
temporary directory; each test edits its files and watches the outcome in the log,
on ``GET /admin/config`` and on ``/metrics``, then puts the files back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.audit import verify_file
from tests.support.processes import ROOT, free_port, running, wait_http

ORIGINAL = "#:schema ../schemas/payments.v1.json\n# payments in dev\n"
WAIT = 20.0  # generous: the machine is shared; nothing here measures speed


class Served:
    """The payments process, its files and what it says."""

    def __init__(self, base: str, config: Path, log: Path, process: subprocess.Popen[bytes]):
        self.base = base
        self.config = config
        self.log = log
        self.process = process
        self.dev = config / "dev" / "payments.toml"

    def admin(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.base}/admin/config", timeout=5)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    def events(self, *names: str) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text().splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("event") in names:
                found.append(data)
        return found

    def reloads(self, result: str) -> float:
        text = httpx.get(f"{self.base}/metrics", timeout=5).text
        found = re.search(rf'^accord_config_reloads_total{{result="{result}"}} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    def wait(self, check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        pytest.fail(f"not seen within {WAIT}s: {what}")

    def wait_event(self, name: str, before: int) -> dict[str, Any]:
        self.wait(lambda: len(self.events(name)) > before, f"a {name} line")
        return self.events(name)[-1]

    def serves(self) -> int:
        return httpx.get(f"{self.base}/v1/authorizations", timeout=5).status_code

    def write(self, text: str) -> None:
        """Replace the dev file in one rename, as a careful editor saves."""
        partial = self.dev.with_name(".payments.toml.partial")
        partial.write_text(text)
        os.replace(partial, self.dev)

    def reset(self) -> None:
        """The original file back, the original settings running, the log written."""
        self.write(ORIGINAL)
        self.wait(lambda: self.admin()["values"]["max_in_flight"] == 512, "the original again")
        time.sleep(0.3)  # the log's writer thread flushes every 50 ms


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("reload")
    config = tmp / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("flags.json"))
    (config / "dev" / "payments.toml").write_text(ORIGINAL)
    port = free_port()
    log = tmp / "payments.log"
    env = {
        "ACCORD_HOME": str(tmp / "home"),
        "ACCORD_CONFIG_DIR": str(config),
        "ACCORD_ENV": "dev",
        "ACCORD_AUTH": "off",
        "ACCORD_SERVICE": "payments",
        "OTEL_TRACES_EXPORTER": "none",
    }
    args = ["accord", "serve", "shop.payments.bootstrap:create_app", "--port", str(port)]
    with running(args, env=env, log=log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/readyz", timeout=60)
        yield Served(base, config, log, process)


@pytest.fixture
def shop(served: Served) -> Iterator[Served]:
    yield served
    served.reset()
    assert served.process.poll() is None


def test_the_configuration_is_reported_at_start_and_over_http(shop: Served) -> None:
    started = shop.events("config_loaded")
    assert len(started) == 1
    report = shop.admin()
    assert report["service"] == "payments" and report["env"] == "dev"
    assert report["schema_version"] == "1.0.0" and len(report["hash"]) == 16
    assert started[0]["hash"] == report["hash"]
    assert report["sources"]["idempotency_retention"].endswith("base/payments.toml:6")
    assert report["sources"]["auth.enabled"] == "env ACCORD_AUTH"


def test_a_reloadable_change_applies_without_a_restart(shop: Served) -> None:
    before, applied, pid = shop.admin(), shop.reloads("applied"), shop.process.pid
    lines = len(shop.events("config_applied"))
    shop.write(ORIGINAL + 'max_in_flight = 7\n\n[rate_limits]\nlist_authorizations = "2/1m"\n')
    line = shop.wait_event("config_applied", lines)
    assert line["changed"] == ["max_in_flight", "rate_limits"]
    after = shop.admin()
    assert after["values"]["max_in_flight"] == 7
    assert after["generation"] == before["generation"] + 1 and after["hash"] == line["hash"]
    assert shop.reloads("applied") == applied + 1
    # The new rate limit is in force: the third call within the minute is refused.
    assert [shop.serves() for _ in range(3)] == [200, 200, 429]
    assert shop.process.pid == pid and shop.process.poll() is None


def test_the_log_level_follows_the_file(shop: Served) -> None:
    shop.write(ORIGINAL + '[observability]\nlog_level = "warning"\n')
    shop.wait(
        lambda: shop.admin()["values"]["observability.log_level"] == "warning", "warning applied"
    )
    time.sleep(0.3)
    quiet = len(shop.events("request"))
    assert shop.serves() == 200
    time.sleep(0.3)
    assert len(shop.events("request")) == quiet  # request lines are info: not written
    shop.reset()
    assert shop.serves() == 200
    shop.wait(lambda: len(shop.events("request")) > quiet, "request lines again")


def test_faults_switch_on_and_rolling_back_is_reverting_the_file(shop: Served) -> None:
    original = shop.admin()["hash"]
    shop.write(ORIGINAL + "[faults.abort]\nstatus = 503\npercent = 100\n")
    shop.wait(lambda: shop.serves() == 503, "injected 503s")
    shop.write(ORIGINAL)
    shop.wait(lambda: shop.serves() == 200, "the faults gone")
    assert shop.admin()["hash"] == original


@pytest.mark.parametrize(
    ("text", "key", "line", "reason"),
    [
        ("max_in_flight = 9\nspeed = 3\n", "speed", 4, "unknown key"),
        ('max_in_flight = "lots"\n', "max_in_flight", 3, "Expected int, got str"),
        ("max_in_flight = 0\n", "max_in_flight", 3, "Expected int >= 1"),
        ('processor_key = "sk_live_51Hx"\n', "processor_key", 3, "a literal secret is refused"),
        ("max_in_flight = 9\n[faults\n", "", 4, "TOML syntax"),
    ],
)
def test_a_bad_file_is_refused_in_one_line_and_the_running_configuration_stays(
    shop: Served, text: str, key: str, line: int, reason: str
) -> None:
    before, rejected = shop.admin(), shop.reloads("rejected")
    lines = len(shop.events("config_rejected"))
    shop.write(ORIGINAL + text)
    refused = shop.wait_event("config_rejected", lines)
    assert refused["file"] == str(shop.dev) and refused["line"] == line
    assert refused["key"] == key and reason in refused["reason"]
    assert "sk_live_51Hx" not in shop.log.read_text()
    time.sleep(0.5)  # nothing else follows
    assert len(shop.events("config_rejected")) == lines + 1
    assert shop.reloads("rejected") == rejected + 1
    assert shop.admin()["hash"] == before["hash"] and shop.serves() == 200


def test_a_change_that_needs_a_restart_is_named_and_not_applied(shop: Served) -> None:
    before = shop.admin()
    lines = len(shop.events("config_restart_required"))
    shop.write(ORIGINAL + 'max_in_flight = 9\ndatabase_url = "sqlite:///elsewhere.db"\n')
    line = shop.wait_event("config_restart_required", lines)
    assert line["keys"] == ["database_url"] and "restart required" in line["reason"]
    assert shop.reloads("restart_required") >= 1
    assert shop.admin()["hash"] == before["hash"]  # max_in_flight was not applied either


def test_a_deleted_file_is_refused_and_the_running_configuration_stays(shop: Served) -> None:
    shop.write(ORIGINAL + "max_in_flight = 11\n")
    shop.wait(lambda: shop.admin()["values"]["max_in_flight"] == 11, "11 applied")
    lines = len(shop.events("config_rejected"))
    shop.dev.unlink()
    refused = shop.wait_event("config_rejected", lines)
    assert refused["file"] == str(shop.dev) and "deleted" in refused["reason"]
    assert shop.admin()["values"]["max_in_flight"] == 11 and shop.serves() == 200


def test_a_file_written_in_two_chunks_is_applied_only_once_complete(shop: Served) -> None:
    lines = len(shop.events("config_rejected"))
    applied = len(shop.events("config_applied"))
    with shop.dev.open("w") as half:
        half.write(ORIGINAL + "max_in_flight = 1")  # valid TOML, but not the whole file
        half.flush()
        shop.wait_event("config_rejected", lines)
        assert "incomplete" in shop.events("config_rejected")[-1]["reason"]
        time.sleep(0.5)
        assert shop.admin()["values"]["max_in_flight"] == 512
        half.write("9\n")
    shop.wait(lambda: shop.admin()["values"]["max_in_flight"] == 19, "19 applied")
    # After the refusal of the first chunk, one change only: the whole file, applied.
    shop.wait(lambda: len(shop.events("config_applied")) > applied, "the applied line")
    outcomes = [e["event"] for e in shop.events("config_applied", "config_rejected")]
    last_refusal = len(outcomes) - 1 - outcomes[::-1].index("config_rejected")
    assert outcomes[last_refusal + 1 :] == ["config_applied"]


def test_reloads_applied_and_refused_are_in_the_audit_trail(shop: Served) -> None:
    trail = shop.config.parent / "home" / "audit" / "payments.jsonl"

    def actions() -> list[str]:
        if not trail.exists():
            return []
        return [json.loads(line)["action"] for line in trail.read_text().splitlines()]

    seen = len(actions())
    shop.write(ORIGINAL + "max_in_flight = 11\n")
    shop.wait(lambda: actions()[seen:] == ["config.applied"], "config.applied in the trail")
    shop.write(ORIGINAL + 'processor_key = "sk_live_51Hx"\n')
    shop.wait(lambda: "config.rejected" in actions()[seen:], "config.rejected in the trail")
    records = [json.loads(line) for line in trail.read_text().splitlines()]
    applied = next(r for r in records[seen:] if r["action"] == "config.applied")
    assert applied["details"]["keys"] == ["max_in_flight"]
    assert applied["details"]["old_hash"] != applied["details"]["new_hash"]
    assert "sk_live_51Hx" not in trail.read_text()
    assert verify_file(trail).broken is None


def test_an_unknown_environment_stops_the_service_at_start_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "accord", "serve", "shop.payments.bootstrap:create_app"],
        env={
            "PATH": "/usr/bin:/bin",
            "ACCORD_HOME": str(tmp_path),
            "ACCORD_ENV": "qa",
            "ACCORD_PORT": str(free_port()),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown environment 'qa' (known: dev, prod, staging)" in lines[0]
