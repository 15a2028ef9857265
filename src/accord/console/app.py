"""The console as a plain ASGI app: the page's files and the JSON API (:mod:`.api`).

The page is files shipped with the package (``static/``): ``index.html``, ``console.css``
and one JavaScript module per part of the page (``main.js`` imports the others). They
are served with a Content-Security-Policy that allows this origin alone: the page
fetches nothing from anywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from accord.console.problem import Problem
from accord.console.system import System

if TYPE_CHECKING:
    from accord.console.api import ConsoleAPI

__all__ = ["ConsoleApp"]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BODY = 1 << 20
_SCRIPTS = ("main", "dom", "services", "map", "reference", "traces", "flags")
_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/console.css": ("console.css", "text/css; charset=utf-8"),
    **{f"/static/{name}.js": (f"{name}.js", "text/javascript; charset=utf-8") for name in _SCRIPTS},
}
_SECURITY = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-cache"),
]


class ConsoleApp:
    """An ASGI app serving the console of the system ``system`` describes.

    The JSON API (:mod:`accord.console.api`: span files, OTLP, metric windows) loads on
    the first API request, so a console nobody opened costs ``accord up`` little."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._loaded: ConsoleAPI | None = None

    @property
    def api(self) -> ConsoleAPI:
        """The API's handlers, made on first use."""
        if self._loaded is None:
            from accord.console.api import ConsoleAPI

            self._loaded = ConsoleAPI(self.system)
        return self._loaded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (lifespan events are acknowledged)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        try:
            if path in _FILES and method in ("GET", "HEAD"):
                name, kind = _FILES[path]
                page = resources.files(__package__).joinpath("static", name).read_bytes()
                await _answer(send, 200, page, kind)
                return
            if not path.startswith("/api/"):
                raise Problem(404, "console.not_found", f"nothing at {path}")
            result = await self._api(scope, receive, method, path)
        except Problem as problem:
            body = json.dumps(problem.body()).encode()
            await _answer(send, problem.status, body, "application/problem+json")
            return
        await _answer(send, 200, json.dumps(result).encode(), "application/json")

    async def _api(self, scope: Scope, receive: Receive, method: str, path: str) -> Any:
        route = path.removeprefix("/api/").rstrip("/")
        head, _, rest = route.partition("/")
        api = self.api
        if method == "POST" and route == "try":
            _same_origin(scope)
            return await api.try_request(await _body(receive))
        if method != "GET":
            raise Problem(405, "console.method_not_allowed", f"{method} {path} is not served")
        if route == "configuration":
            authorization = dict(scope.get("headers", [])).get(b"authorization")
            return await api.configuration(
                authorization.decode("latin-1") if authorization else None
            )
        if head == "documents" and rest:
            return await api.documents(rest)
        if head == "traces" and rest:
            return await api.trace(rest)
        if head == "traces":
            query = parse_qs(scope.get("query_string", b"").decode())
            last = query.get("last", ["30"])[0]
            if not last.isdigit() or not 0 < int(last) <= 1000:
                raise Problem(400, "console.bad_query", "last is a number from 1 to 1000")
            return await api.traces(int(last))
        simple = {
            "services": api.services,
            "map": api.service_map,
            "flags": api.flags,
            "rollouts": api.rollouts,
        }
        if route in simple:
            return await simple[route]()
        raise Problem(404, "console.not_found", f"nothing at {path}")


def _same_origin(scope: Scope) -> None:
    """Refuse what another site's page could send: only JSON (a cross-site page must ask
    first, and is not answered), and no ``Origin`` but this console's own."""
    headers = dict(scope.get("headers", []))
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind != b"application/json":
        raise Problem(415, "console.unsupported_media_type", "send the request as JSON")
    origin = headers.get(b"origin")
    if origin is not None and origin.split(b"://", 1)[-1] != headers.get(b"host", b""):
        raise Problem(403, "console.cross_origin", "only the console's own page may send")


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Problem(413, "console.too_large", f"a request body is at most {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes, kind: str) -> None:
    headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + _SECURITY})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
