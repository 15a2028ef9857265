"""What a rollout asks of the running system: one file per service, read by ``accord up``.

``<home>/dataplane/desired/<service>.json`` says which version is the service's
*primary* (the one ``accord up`` keeps running and restarts), which other versions must
run beside it (a canary, a green, a blue kept warm), and which version gets a preview
listener. The rollout writes it; the data plane running inside ``accord up`` starts,
promotes and stops processes until the system matches it, and reports each instance in
the run file. ``owner`` is the pid of the rollout that wrote it: when that process is
gone before it finished (``owner`` still set), the data plane sends the traffic back to
the primary, stops the other versions and marks the file ``reverted``.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from accord.dataplane.files import write_atomically

__all__ = ["Desired", "Instance", "desired_path", "read_desired", "write_desired"]


class Instance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A version to run beside the primary.

    ``python``: the interpreter of its release (None: the project's working tree);
    ``env``: extra environment (a fault configuration, for one); ``keep_until``: a Unix
    time after which it is stopped (a blue kept warm for a rollback window).
    """

    version: str
    python: str | None = None
    env: dict[str, str] = {}
    ready_timeout: float = 30.0
    keep_until: float | None = None


class Desired(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The versions one service must run (see the module docstring)."""

    primary: str
    instances: tuple[Instance, ...] = ()
    preview: str | None = None
    owner: int = 0
    reverted: str | None = None

    def instance(self, version: str) -> Instance | None:
        """The instance of ``version``, if asked for."""
        return next((i for i in self.instances if i.version == version), None)


def desired_path(home: Path, service: str) -> Path:
    """Where the desired state of ``service`` lives."""
    return home / "dataplane" / "desired" / f"{service}.json"


def read_desired(home: Path, service: str) -> Desired | None:
    """The desired state of ``service``, or None when there is none (or it is unreadable)."""
    try:
        return msgspec.json.decode(desired_path(home, service).read_bytes(), type=Desired)
    except (OSError, msgspec.DecodeError):
        return None


def write_desired(home: Path, service: str, desired: Desired) -> None:
    """Replace the desired state of ``service`` (atomically)."""
    write_atomically(desired_path(home, service), json.loads(msgspec.json.encode(desired)))
