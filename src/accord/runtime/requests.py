"""The request as a handler sees it, and reading its body within limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from accord.errors import (
    AccordError,
    BadRequest,
    FieldError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationDetails,
    ValidationFailed,
)
from accord.runtime.limits import BodyLimits, Limits
from accord.runtime.types import Receive, Scope

__all__ = ["ClientDisconnected", "Request", "is_json"]

_JSON_TYPES: dict[bytes, bool] = {}
_DEFAULT_LIMITS = BodyLimits(Limits())
_CONTENT_TYPE = b"content-type"
_CONTENT_LENGTH = b"content-length"


class ClientDisconnected(AccordError):
    """The client went away before the request body was read."""


def is_json(content_type: bytes) -> bool:
    """``application/json`` or any ``*/*+json``, parameters ignored."""
    known = _JSON_TYPES.get(content_type)
    if known is not None:
        return known
    media = content_type.split(b";", 1)[0].strip().lower()
    verdict = media == b"application/json" or (media.endswith(b"+json") and b"/" in media)
    if len(_JSON_TYPES) < 64:
        _JSON_TYPES[content_type] = verdict
    return verdict


class Request:
    """One HTTP request: its scope, path parameters and the headers the app reads.

    The pipeline reads, in one pass over the raw header list, every header the app
    declared it reads (its own, each layer's ``reads``, each endpoint's) into
    :attr:`headers`: name (lower-case bytes) → first value, or ``None`` when absent.
    :meth:`header` answers from there, and scans the raw list for any other name.
    """

    __slots__ = (
        "content_length",
        "content_type",
        "headers",
        "path_params",
        "principal",
        "receive",
        "scope",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        path_params: Mapping[str, str],
        headers: Mapping[bytes, bytes | None] | None = None,
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.path_params = path_params
        #: The declared headers: name → first value, ``None`` when not sent.
        self.headers: Mapping[bytes, bytes | None] = headers if headers is not None else {}
        #: Who is calling, once a layer has authenticated the request (else ``None``).
        self.principal: Any = None
        try:  # the pipeline always picks these two out
            self.content_type = self.headers[_CONTENT_TYPE]
            self.content_length = self.headers[_CONTENT_LENGTH]
        except KeyError:
            self.content_type = self.header(_CONTENT_TYPE)
            self.content_length = self.header(_CONTENT_LENGTH)

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        """The decoded path, without the query string."""
        return str(self.scope["path"])

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower-case bytes), or ``None``."""
        try:
            return self.headers[name]
        except KeyError:
            pass
        for key, value in self.scope.get("headers", ()):
            if key == name:
                return bytes(value)
        return None

    def query(self) -> dict[str, list[str]]:
        """The query parameters, each with every value it was given."""
        raw: bytes = self.scope.get("query_string", b"")
        if not raw:
            return {}
        return parse_qs(raw.decode("latin-1"), keep_blank_values=True)

    async def body(self, limit: int) -> bytes:
        """The whole body; raises PayloadTooLarge past ``limit`` bytes.

        ``content-length`` is checked before anything is read; a body without one
        (chunked) is counted while it is read.
        """
        if self.content_length is not None:
            try:
                declared = int(self.content_length)
            except ValueError:
                raise BadRequest("content-length is not a number") from None
            if declared > limit:
                raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
        message = await self.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        first: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            if len(first) > limit:
                raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
            return first
        chunks = [first]
        size = len(first)
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def json_body(self, limits: BodyLimits = _DEFAULT_LIMITS) -> bytes | None:
        """The body when it is JSON, ``None`` when empty; 415 for any other media type.

        The body is held to ``limits``: its size (413), then its depth, string and
        array lengths (422).
        """
        content_type = self.content_type
        if (
            content_type is not None
            and self.content_length != b"0"
            and not (_JSON_TYPES.get(content_type) or is_json(content_type))
        ):
            raise UnsupportedMediaType(f"expected application/json, got {self._media_type()}")
        body = await self.body(limits.max_body_bytes)
        if not body:
            return None
        if self.content_type is None:
            raise UnsupportedMediaType("a body needs content-type: application/json")
        if not body.isascii():
            # msgspec raises UnicodeDecodeError (not a DecodeError) on invalid UTF-8.
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationFailed(
                    f"the body is not valid UTF-8 (byte {exc.start})",
                    ValidationDetails(
                        errors=[FieldError(path="$", message="the body is not valid UTF-8")]
                    ),
                ) from None
        limits.check(body)
        return body

    def _media_type(self) -> str:
        raw: Any = self.content_type or b""
        return str(raw.split(b";", 1)[0].strip().decode("latin-1")[:100])
