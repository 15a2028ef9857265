"""What a handler answers: a status, a body and its content type."""

from __future__ import annotations

from accord.runtime.types import Headers

__all__ = ["JSON", "PROBLEM_JSON", "PROMETHEUS_TEXT", "Response"]

JSON = b"application/json"
PROBLEM_JSON = b"application/problem+json"
PROMETHEUS_TEXT = b"text/plain; version=0.0.4; charset=utf-8"


class Response:
    """A complete response; the runtime adds length and correlation headers."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: bytes = JSON,
        headers: Headers | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers
