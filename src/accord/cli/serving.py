"""What ``accord serve`` does, and its lean start: a service process without the CLI.

``accord serve`` runs in every service process, so its start costs memory in each: the
full CLI (Typer, which loads pydantic when installed; Rich; the other commands) would
add about 20 MiB to every service. :func:`main` therefore parses ``accord serve``'s
options itself (argparse, the same options as :mod:`accord.cli.serve`, which a test keeps
in step) and runs :func:`serve_target` without importing Typer; ``accord serve -h``
still shows the Typer help.

Libraries also load more than a service uses (:mod:`accord.cli.lean`): structlog and
httpx load Rich or Pygments for pretty output whenever installed (about 14 MiB; they
are imported with those held out, which an app may still import itself), and
SQLAlchemy's asyncio engine loads the ORM (about 5 MiB; it loads on first use instead).
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from accord.cli import lean
from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.runtime import App

__all__ = ["INSTANCE_VARIABLE", "PORT_VARIABLE", "ServeError", "main", "parser", "serve_target"]

PORT_VARIABLE = "ACCORD_PORT"
FORWARDED_VARIABLE = "ACCORD_FORWARDED_ALLOW_IPS"
#: A supervisor's start nonce, echoed by ``/readyz`` (``accord.supervisor``).
INSTANCE_VARIABLE = "ACCORD_INSTANCE"
#: A warning the supervisor wants every ``/readyz`` of the service to carry.
WARNING_VARIABLE = "ACCORD_WARNING"
#: What a service does not load for the libraries below (httpx's command line imports
#: click before it finds Pygments missing, so click is held out too).
_HELD_OUT = ("click", "rich", "pygments")
#: Libraries that load what is held out only for pretty output (when it is installed).
_PRETTY_ONLY = ("httpx", "structlog")


class ServeError(AccordError):
    """A mistake in what ``accord serve`` was asked to serve (one line, exit 2)."""


def serve_target(
    target: str,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    drain_delay: float = 0.0,
    shutdown_timeout: float = 10.0,
    head_timeout: float | None = None,
    forwarded_allow_ips: str | None = None,
    tls_dir: str | None = None,
    tls_name: str | None = None,
    tls_allow: Sequence[str] = (),
    reload: bool = False,
) -> int:
    """Serve the App that ``target`` (``module:factory``) returns, until SIGTERM/SIGINT.

    Returns the exit status; raises :class:`ServeError` for a mistake.
    """
    chosen_port = _port(port)
    _watch_parent()
    if reload:
        from accord import reload as reloading

        argv = [sys.executable, "-m", "accord", *(a for a in sys.argv[1:] if a != "--reload")]
        return reloading.run(argv, root=Path.cwd())
    from accord.runtime import serve
    from accord.runtime.headtimeout import DEFAULT_HEAD_TIMEOUT

    tls = _tls(tls_dir, tls_name, list(tls_allow))
    proxies = _forwarded(forwarded_allow_ips)
    if drain_delay < 0 or shutdown_timeout < 0:
        raise ServeError("--drain-delay and --shutdown-timeout must not be negative")
    if head_timeout is None:
        head_timeout = DEFAULT_HEAD_TIMEOUT
    elif not head_timeout > 0:
        raise ServeError("--head-timeout must be positive")
    app = _load(target)
    serve(
        app,
        host=host,
        port=chosen_port,
        shutdown_timeout=shutdown_timeout,
        drain_delay=drain_delay,
        tls=tls,
        head_timeout=head_timeout,
        forwarded_allow_ips=proxies,
        connection_max_age=_max_age(),
    )
    return 0


def _max_age() -> float | None:
    """Seconds a kept-alive connection carries requests, from
    ``$ACCORD_CONNECTION_MAX_AGE`` (unset: no bound)."""
    from accord.runtime.connage import AGE_VARIABLE

    raw = os.environ.get(AGE_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ServeError(f"${AGE_VARIABLE} must be a positive number of seconds, not {raw!r}")
    return seconds


def _forwarded(value: str | None) -> list[str]:
    """The trusted proxies from the option, else ``$ACCORD_FORWARDED_ALLOW_IPS``; none."""
    raw = value if value is not None else os.environ.get(FORWARDED_VARIABLE, "")
    proxies = [p.strip() for p in raw.split(",") if p.strip()]
    for proxy in proxies:
        if proxy == "*":  # every peer: only where nothing but the proxy can connect
            continue
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ServeError(f"trusted proxy {proxy!r} is not an IP address or network") from None
    return proxies


def _load(target: str) -> App:
    """The App ``target``'s factory returns, identified to its supervisor if any."""
    from accord.project import import_object
    from accord.reload import write_manifest
    from accord.runtime import App

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = import_object(target)
    except AccordError as exc:
        raise ServeError(str(exc)) from None
    except Exception as exc:  # the module's own code failed: a syntax error, a raise
        where = f" ({exc.filename}, line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
        detail = " ".join(str(exc.msg if isinstance(exc, SyntaxError) else exc).split())
        raise ServeError(f"cannot import {target}: {type(exc).__name__}: {detail}{where}") from None
    if not callable(factory):
        raise ServeError(f"{target} is not callable")
    try:
        app = factory()
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise ServeError(f"{target}() failed: {type(exc).__name__}: {detail}") from None
    if not isinstance(app, App):
        raise ServeError(f"{target}() returned {type(app).__name__}, not an accord App")
    # Under a supervisor: echo its nonce in /readyz; under a reloader: say what was imported.
    instance = os.environ.get(INSTANCE_VARIABLE, "")
    if instance:
        app.identify(instance)
    warning = os.environ.get(WARNING_VARIABLE, "").strip()
    if warning:  # e.g. accord up --plain: said in every ready /readyz
        app.warn(warning)
    write_manifest(Path.cwd())
    return app


def _port(value: int | None) -> int:
    if value is not None:
        raw = str(value)
    else:
        raw = os.environ.get(PORT_VARIABLE, "").strip()
        if not raw:
            raise ServeError(f"no port: pass --port or set ${PORT_VARIABLE}")
    try:
        port = int(raw)
    except ValueError:
        raise ServeError(f"port {raw!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ServeError(f"port {port} is not within 0..65535")
    return port


def _watch_parent() -> None:
    """Started by a supervisor (or a reloader): end when it ends, where the kernel does
    not see to it (:func:`accord.lifetime.watch_parent`)."""
    from accord import lifetime

    parent = os.environ.get(lifetime.PARENT_VARIABLE, "")
    if parent.isdigit():
        lifetime.watch_parent(int(parent))


def _tls(directory: str | None, name: str | None, allow: list[str]) -> ssl.SSLContext | None:
    """The server's TLS context from the options, else ``$ACCORD_TLS_*``; None: plain HTTP."""
    from accord.security.tls import DIR_VARIABLE, TLSConfig, server_context

    environ = dict(os.environ)
    if directory:
        environ[DIR_VARIABLE] = directory
    try:
        config = TLSConfig.from_env(environ, name=name)
        if config is None:
            return None
        if allow:
            config = dataclasses.replace(config, allow=frozenset(allow))
        return server_context(config)
    except AccordError as exc:
        raise ServeError(" ".join(str(exc).split())) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ServeError(message)


def parser() -> argparse.ArgumentParser:
    """``accord serve``'s options, for the lean start (help stays with Typer)."""
    p = _Parser(prog="accord serve", add_help=False, allow_abbrev=False)
    p.add_argument("target", metavar="MODULE:FACTORY")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--drain-delay", type=float, default=0.0)
    p.add_argument("--shutdown-timeout", type=float, default=10.0)
    p.add_argument("--head-timeout", type=float, default=None)
    p.add_argument("--forwarded-allow-ips", default=None)
    p.add_argument("--tls-dir", default=None)
    p.add_argument("--tls-name", default=None)
    p.add_argument("--tls-allow", action="append", default=[])
    p.add_argument("--reload", action="store_true")
    return p


def main(argv: Sequence[str]) -> int | None:
    """Run ``accord serve <argv>`` leanly; None when Typer should handle it (help)."""
    if any(a in ("-h", "--help") for a in argv):
        return None
    lean.import_without(_HELD_OUT, _PRETTY_ONLY)
    lean.asyncio_engine_without_orm()
    lean.uvicorn_without_command_line()
    try:
        options = parser().parse_args(list(argv))
        return serve_target(
            options.target,
            host=options.host,
            port=options.port,
            drain_delay=options.drain_delay,
            shutdown_timeout=options.shutdown_timeout,
            head_timeout=options.head_timeout,
            forwarded_allow_ips=options.forwarded_allow_ips,
            tls_dir=options.tls_dir,
            tls_name=options.tls_name,
            tls_allow=options.tls_allow,
            reload=options.reload,
        )
    except ServeError as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return 2
