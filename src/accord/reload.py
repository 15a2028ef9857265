"""Run a command again when the Python code it imported changes (``accord serve --reload``).

:func:`run` starts the command as a child and watches the project's folders with
watchfiles. The child writes the files of every module it imported from the project to
a manifest (:func:`write_manifest`, path in ``ACCORD_RELOAD_MANIFEST``) once it is up;
a change restarts it only when a changed file is in that manifest (or when the child
has not written one yet, e.g. it failed to import): editing one service's code
restarts that service, not the others. The child is stopped with SIGTERM (gracefully,
SIGKILL after ``stop_timeout``) and started again; a child that exits on its own is
started again at the next change. SIGTERM or SIGINT to this process stops the child
(once: it runs in a session of its own, out of reach of signals sent to this process's
group) and ends the watch. The child ends with this process however it ends
(:mod:`accord.lifetime`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from accord import lifetime

__all__ = ["MANIFEST_VARIABLE", "run", "watched_paths", "write_manifest"]

#: Where a child writes the files of the modules it imported (see :func:`write_manifest`).
MANIFEST_VARIABLE = "ACCORD_RELOAD_MANIFEST"

_SKIP_DIRS = frozenset({"node_modules", "venv", "env", "build", "dist", "site-packages"})


def write_manifest(root: Path, environ: Mapping[str, str] | None = None) -> None:
    """In a reloaded child: record the files under ``root`` of every imported module."""
    target = (os.environ if environ is None else environ).get(MANIFEST_VARIABLE)
    if not target:
        return
    base = root.resolve()
    found = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    resolved = (Path(name).resolve() for name in found if name)
    files = sorted({str(path) for path in resolved if path.is_relative_to(base)})
    Path(target).write_text("\n".join(files) + "\n", encoding="utf-8")


def watched_paths(root: Path) -> list[Path]:
    """The folders to watch: ``root`` itself when it holds Python files, else its
    sub-folders that are neither hidden nor environments (``.venv``, ``node_modules``)."""
    if any(root.glob("*.py")):
        return [root]
    return [
        d
        for d in sorted(root.iterdir())
        if d.is_dir() and not d.name.startswith((".", "_")) and d.name not in _SKIP_DIRS
    ] or [root]


def _read_manifest(path: Path) -> set[str] | None:
    try:
        return set(path.read_text(encoding="utf-8").split())
    except OSError:
        return None


def _affected(changes: Iterable[tuple[object, str]], manifest: Path) -> list[str]:
    """The changed files that matter: those the child imported (all, before it said)."""
    changed = sorted({str(Path(path).resolve()) for _, path in changes})
    imported = _read_manifest(manifest)
    return changed if imported is None else [p for p in changed if p in imported]


def run(
    argv: Sequence[str],
    *,
    root: Path,
    environ: Mapping[str, str] | None = None,
    on_notice: Callable[[str], None] | None = None,
    stop_timeout: float = 10.0,
) -> int:
    """Run ``argv`` until SIGTERM/SIGINT, starting it again when its code changes.

    Returns the exit status of the last child (0 when it was stopped by a signal here).
    """
    import watchfiles

    notice = on_notice or (lambda m: print(f"accord: {m}", file=sys.stderr, flush=True))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="accord-reload-") as folder:
        manifest = Path(folder) / "modules.txt"
        env = {
            **(os.environ if environ is None else environ),
            MANIFEST_VARIABLE: str(manifest),
            lifetime.PARENT_VARIABLE: str(os.getpid()),
        }

        def start() -> subprocess.Popen[bytes]:
            manifest.unlink(missing_ok=True)
            # The caller's own command line again (accord serve without --reload), in a
            # session of its own: a signal to this process group reaches it only through
            # this process, once.
            return subprocess.Popen(  # noqa: S603
                list(argv), env=env, start_new_session=True, preexec_fn=lifetime.child_setup()
            )

        child = start()
        paths = watched_paths(root)
        for changes in watchfiles.watch(
            *paths, watch_filter=watchfiles.PythonFilter(), stop_event=stop, raise_interrupt=False
        ):
            affected = _affected(changes, manifest)
            if not affected:
                continue
            shown = ", ".join(os.path.relpath(p, root) for p in affected[:3])
            notice(f"{shown} changed; restarting")
            _stop(child, stop_timeout)
            child = start()
        code = _stop(child, stop_timeout)
    return 0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code


def _stop(child: subprocess.Popen[bytes], timeout: float) -> int:
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return int(child.returncode)
