"""`accord up --reload`: a change to a service's code restarts that service alone.

A real `accord up --reload` runs two tiny services, each from its own module; the test
edits one module and watches that service answer with the new code while the other
keeps its process. Each app records its starts (module, pid) in starts.txt.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from accord import lifetime
from tests.support.processes import stop
from tests.support.tinyshop import TinyShop


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise TimeoutError(what)


def _ping(shop: TinyShop, name: str) -> object:
    try:
        return httpx.get(shop.url(name) + "/v1/ping", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None


def test_a_change_restarts_the_service_that_imported_it(tmp_path: Path) -> None:
    shop = TinyShop(tmp_path)
    up = shop.start("--reload")
    try:
        shop.wait_run_file(up)
        assert _ping(shop, "alpha") == {"ok": True}
        first = dict(shop.starts())
        assert sorted(first) == ["alpha_app", "beta_app"]

        source = tmp_path / "alpha_app.py"
        source.write_text(source.read_text().replace("Pong(ok=True)", "Pong(ok=False)"))
        _wait(lambda: _ping(shop, "alpha") == {"ok": False}, 30, "alpha did not reload")

        starts = shop.starts()
        assert [m for m, _ in starts].count("alpha_app") == 2
        assert [m for m, _ in starts].count("beta_app") == 1, starts
        assert _ping(shop, "beta") == {"ok": True}
        assert "alpha_app.py changed; restarting" in shop.log()
        # The first alpha process is gone, not left beside the new one.
        assert not lifetime.alive(first["alpha_app"], lifetime.started(first["alpha_app"]))

        # Whatever ends accord up, the reloaded services end too.
        os.kill(up.pid, signal.SIGKILL)
        up.wait(10)
        pids = [pid for _, pid in shop.starts()]
        _wait(lambda: not any(lifetime.started(p) for p in pids), 2.0, "services outlived up")
    finally:
        stop(up)
        for _, pid in shop.starts():
            lifetime.terminate([(pid, lifetime.started(pid))], timeout=2)


@pytest.mark.parametrize("edit", ["unrelated.py"])
def test_a_change_no_service_imported_restarts_nothing(tmp_path: Path, edit: str) -> None:
    shop = TinyShop(tmp_path)
    up = shop.start("--reload")
    try:
        shop.wait_run_file(up)
        before = shop.starts()
        (tmp_path / edit).write_text("X = 1\n")
        time.sleep(3.0)  # past watchfiles' debounce: a restart would have begun by now
        assert shop.starts() == before
        assert "changed; restarting" not in shop.log()
        assert stop(up, sig=signal.SIGINT) == 0
    finally:
        stop(up)
