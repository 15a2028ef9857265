"""``accord serve MODULE:FACTORY``: run one service in this process."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import ssl
import sys

import typer

from accord.errors import AccordError

__all__ = ["register"]

PORT_VARIABLE = "ACCORD_PORT"
FORWARDED_VARIABLE = "ACCORD_FORWARDED_ALLOW_IPS"


def _port(value: int | None) -> int:
    if value is not None:
        raw = str(value)
    else:
        raw = os.environ.get(PORT_VARIABLE, "").strip()
        if not raw:
            raise _fail(f"no port: pass --port or set ${PORT_VARIABLE}")
    try:
        port = int(raw)
    except ValueError:
        raise _fail(f"port {raw!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise _fail(f"port {port} is not within 0..65535")
    return port


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
            raise _fail(f"trusted proxy {proxy!r} is not an IP address or network") from None
    return proxies


def _fail(message: str) -> typer.Exit:
    from accord.cli.exits import fail

    return fail(message)


def serve_command(
    target: str = typer.Argument(..., metavar="MODULE:FACTORY", help="Returns an accord App."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int | None = typer.Option(None, "--port", help=f"Port (default ${PORT_VARIABLE})."),
    drain_delay: float = typer.Option(
        0.0, "--drain-delay", help="Seconds to keep serving (readiness 503) after SIGTERM."
    ),
    shutdown_timeout: float = typer.Option(
        10.0, "--shutdown-timeout", help="Seconds in-flight requests get to finish."
    ),
    head_timeout: float | None = typer.Option(
        None,
        "--head-timeout",
        help="Seconds a client has to send a request head (default 5); slower, it is cut.",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help=(
            "Proxies (addresses or networks, comma-separated; * for any) whose "
            f"X-Forwarded-For is believed (default ${FORWARDED_VARIABLE}; none)."
        ),
    ),
    tls_dir: str | None = typer.Option(
        None,
        "--tls-dir",
        help="Serve HTTPS with mutual TLS from this certificate folder (default $ACCORD_TLS_DIR).",
    ),
    tls_name: str | None = typer.Option(
        None, "--tls-name", help="The certificate to serve (default $ACCORD_SERVICE)."
    ),
    tls_allow: list[str] = typer.Option(
        [], "--tls-allow", help="A service or SPIFFE id allowed to call (repeat; default all)."
    ),
) -> None:
    """Serve the App that FACTORY returns, until SIGTERM or SIGINT."""
    from accord.project import import_object
    from accord.runtime import App, serve
    from accord.runtime.headtimeout import DEFAULT_HEAD_TIMEOUT

    chosen_port = _port(port)
    tls = _tls(tls_dir, tls_name, tls_allow)
    proxies = _forwarded(forwarded_allow_ips)
    if drain_delay < 0 or shutdown_timeout < 0:
        raise _fail("--drain-delay and --shutdown-timeout must not be negative")
    if head_timeout is None:
        head_timeout = DEFAULT_HEAD_TIMEOUT
    elif not head_timeout > 0:
        raise _fail("--head-timeout must be positive")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = import_object(target)
    except AccordError as exc:
        raise _fail(str(exc)) from None
    if not callable(factory):
        raise _fail(f"{target} is not callable")
    try:
        app = factory()
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise _fail(f"{target}() failed: {type(exc).__name__}: {detail}") from None
    if not isinstance(app, App):
        raise _fail(f"{target}() returned {type(app).__name__}, not an accord App")
    serve(
        app,
        host=host,
        port=chosen_port,
        shutdown_timeout=shutdown_timeout,
        drain_delay=drain_delay,
        tls=tls,
        head_timeout=head_timeout,
        forwarded_allow_ips=proxies,
    )


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
        raise _fail(" ".join(str(exc).split())) from None


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the accord CLI."""
    app.command("serve")(serve_command)
