"""From an HTTP response to the operation's result or one of accord's errors.

This is the client's half of the error table: the runtime turns a ``ServiceError`` into
a problem document, and :func:`read_response` turns it back into the same class.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, TypeVar

import httpx
import msgspec

from accord.contract import Operation
from accord.errors import RESERVED_MEMBERS, RemoteError, ServiceError, UnexpectedResponse

__all__ = [
    "PROBLEM_JSON",
    "error_from_problem",
    "error_from_response",
    "media_type",
    "operation_label",
    "read_response",
    "read_success",
]

RespT = TypeVar("RespT", bound=msgspec.Struct)

#: The media type of an RFC 9457 problem document.
PROBLEM_JSON = "application/problem+json"

_MAX_DETAIL = 200


def operation_label(op: Operation[Any, Any]) -> str:
    """``<service>.<operation>``, the name logs, spans and messages use."""
    return f"{op.contract.name}.{op.name}"


def media_type(response: httpx.Response) -> str:
    """The response's media type, lower-cased, without parameters (``""`` when absent)."""
    value: str = response.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def read_response(op: Operation[Any, RespT], response: httpx.Response) -> RespT:
    """The decoded response of a 2xx; otherwise raise the error the response stands for.

    Raises the declared ``ServiceError`` class, :class:`RemoteError` or
    :class:`UnexpectedResponse`.
    """
    status = response.status_code
    if not 200 <= status <= 299:
        raise error_from_response(op, response)
    return read_success(op, status, media_type(response), response.content)


def read_success(op: Operation[Any, RespT], status: int, media: str, content: bytes) -> RespT:
    """The decoded body of a 2xx answer of media type ``media`` (as :func:`media_type`
    gives it); :class:`UnexpectedResponse` when it is not the operation's response."""
    if not _is_json(media):
        raise UnexpectedResponse(
            f"{operation_label(op)}: expected a JSON response, got "
            f"{media or 'no content type'!s} with status {status}",
            status=status,
        )
    try:
        return op.decode_response(content)
    except msgspec.ValidationError as exc:
        message, sep, where = str(exc).rpartition(" - at `")
        if not sep:
            message, where = str(exc), "$`"
        raise UnexpectedResponse(
            f"{operation_label(op)}: response does not match {op.response.__name__}: "
            f"{message} at `{where}",
            status=status,
        ) from None
    except msgspec.DecodeError as exc:
        raise UnexpectedResponse(
            f"{operation_label(op)}: response body is not valid JSON ({exc})", status=status
        ) from None


def error_from_response(op: Operation[Any, Any], response: httpx.Response) -> Exception:
    """The error a non-2xx response stands for (returned, for the caller to raise)."""
    status = response.status_code
    problem: Any = None
    if media_type(response) == PROBLEM_JSON:
        try:
            problem = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            problem = None
    if not isinstance(problem, dict):
        return RemoteError(status, _synthesized(response))
    if not isinstance(problem.get("code"), str):
        problem = {**problem, "code": f"http_{status}"}
    return error_from_problem(op, status, problem)


def error_from_problem(op: Operation[Any, Any], status: int, problem: dict[str, Any]) -> Exception:
    """The declared class for the problem's ``code``, else :class:`RemoteError`.

    The extension members become the class's typed ``info``; when they do not fit it
    the error still has the declared class, with ``info=None``. The raw document is
    kept as ``.problem`` either way.
    """
    err_cls = op.error_table.get(problem["code"])
    if err_cls is None:
        return RemoteError(status, problem)
    detail = problem.get("detail")
    err = err_cls(detail if isinstance(detail, str) else None, _info(err_cls, problem))
    # ServiceError declares no ``problem``; the client adds it so nothing is lost.
    err.problem = problem
    return err


def _info(err_cls: type[ServiceError[Any]], problem: dict[str, Any]) -> Any:
    info_type = err_cls.info_type
    if info_type is None:
        return None
    members = {k: v for k, v in problem.items() if k not in RESERVED_MEMBERS}
    candidates: list[Any] = [members]
    if "info" in members:
        candidates.append(members["info"])  # a non-object info travels as ``info``
    for candidate in candidates:
        try:
            return msgspec.convert(candidate, info_type)
        except (msgspec.ValidationError, TypeError):
            continue
    return None


def _synthesized(response: httpx.Response) -> dict[str, Any]:
    """A problem document for an error answered without one (a proxy's 502, say)."""
    status = response.status_code
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = response.reason_phrase or "Error"
    text = response.text.strip() if _is_textual(media_type(response)) else ""
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": text[:_MAX_DETAIL] or title,
        "code": f"http_{status}",
    }


def _is_textual(media: str) -> bool:
    return media.startswith("text/") or _is_json(media)
