"""Each service's configuration version and any rollout in progress, where accord has
them.

Rollouts keep one record per service (``<home>/rollouts/<service>.json``: strategy,
stable and candidate versions, phase, step, weights); the console lists those records,
the unfinished ones first. Live configuration reports its version (schema version,
hash, generation, when applied) on each service's admin endpoint, to a token with the
admin scope: the console asks with the page's token. Where a feature is not part of this
accord, its answer is ``{"available": false}`` with the reason, and the page says "not
available" in its section.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import httpx

__all__ = ["FINISHED", "configuration", "configuration_row", "read_rollouts", "rollouts"]

#: Phases after which a rollout does nothing more.
FINISHED = frozenset({"promoted", "rolled_back"})


def _missing(module: str, feature: str) -> dict[str, Any] | None:
    if importlib.util.find_spec(module) is None:
        return {"available": False, "reason": f"{feature} are not part of this accord"}
    return None


def configuration_row(name: str, answer: httpx.Response | None) -> dict[str, Any]:
    """One service's line of the configuration table, from its ``/admin/config`` answer
    (None: the service did not answer)."""
    row: dict[str, Any] = {"service": name}
    if answer is None:
        return {**row, "state": "down"}
    if answer.status_code in (401, 403):
        return {**row, "state": "needs a token with the admin scope"}
    if answer.status_code != 200:
        return {**row, "state": f"not served ({answer.status_code})"}
    try:
        report = answer.json()
    except ValueError:
        return {**row, "state": "unreadable"}
    keys = ("env", "schema_version", "hash", "generation", "applied_at")
    return {**row, "state": "ok", **{k: report.get(k) for k in keys}}


async def configuration(
    http: httpx.AsyncClient, urls: dict[str, str], authorization: str | None
) -> dict[str, Any]:
    """Each running service's configuration (schema version, hash, generation, when
    applied), read from its admin endpoint with the page's token."""
    missing = _missing("accord.config", "configuration files")
    if missing is not None:
        return missing
    from accord.config.service import ADMIN_PATH

    headers = {"authorization": authorization} if authorization else {}
    rows = []
    for name, url in urls.items():
        try:
            answer: httpx.Response | None = await http.get(url + ADMIN_PATH, headers=headers)
        except httpx.HTTPError:
            answer = None
        rows.append(configuration_row(name, answer))
    return {"available": True, "services": rows}


def read_rollouts(folder: Path) -> list[dict[str, Any]]:
    """The rollout records in ``folder``, unfinished first, newest first; unreadable
    records are left out."""
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and "service" in record:
            record["in_progress"] = record.get("phase") not in FINISHED
            found.append(record)
    found.sort(key=lambda r: (not r["in_progress"], -float(r.get("updated") or 0)))
    return found


def rollouts(home: Path) -> dict[str, Any]:
    """The rollouts of the system whose state folder is ``home``."""
    missing = _missing("accord.rollout", "rollouts")
    if missing is not None:
        return missing
    return {"available": True, "rollouts": read_rollouts(home / "rollouts")}
