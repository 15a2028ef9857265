"""``GET /docs``: an interactive reference of the app's own contracts, in the browser.

One self-contained HTML page (``reference.html`` beside this module: inline CSS and
JavaScript, nothing fetched from anywhere but the service itself) that reads the app's
OpenAPI documents (``/v<major>/openapi.json``), lists every operation with its
parameters, body fields, scopes and declared errors, and sends a real request from a
"try it" form (with a token pasted in, or taken from a login or token answer), showing
the answer, its problem details and its ``x-correlation-id`` (the trace id to give
``accord traces``). Its Content-Security-Policy allows no other origin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import msgspec

from accord.contract import Contract
from accord.errors import STANDARD_ERRORS, ServiceError
from accord.runtime.requests import Request
from accord.runtime.responses import Response

__all__ = ["HTML", "ReferencePage"]

HTML = b"text/html; charset=utf-8"
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        b"connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-cache"),
]


class ReferencePage:
    """Serves the page, listing the documents of ``contracts`` (read at first request,
    so contracts mounted after construction are listed too)."""

    __slots__ = ("_body", "_contracts", "errors")

    def __init__(self, contracts: Sequence[type[Contract]]) -> None:
        self._contracts = contracts
        self._body: bytes | None = None
        self.errors: Mapping[str, type[ServiceError[Any]]] = {e.code: e for e in STANDARD_ERRORS}

    async def __call__(self, _: Request) -> Response:
        """Answer the page."""
        if self._body is None:
            documents = [
                {"label": f"{c.name} {c.version}", "url": f"{c.prefix()}/openapi.json"}
                for c in self._contracts
            ]
            # "</" cannot end the inline <script> early once escaped as "<\/".
            listed = msgspec.json.encode(documents).replace(b"</", b"<\\/")
            page = resources.files(__package__).joinpath("reference.html").read_bytes()
            self._body = page.replace(b"__DOCUMENTS__", listed)
        return Response(200, self._body, HTML, list(_HEADERS))
