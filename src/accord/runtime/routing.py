"""Routing: from a request path to the handlers of one route template.

Templates without parameters are found with one dict lookup; the rest are matched
segment by segment among the templates with the same number of segments, literal
segments winning over parameters (``/v1/orders/search`` before ``/v1/orders/{id}``).
A path that matches a template but not the method gives the route anyway, so the caller
can answer 405 with its ``allow`` header.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from accord.errors import ContractError, ServiceError

if TYPE_CHECKING:
    from accord.runtime.requests import Request
    from accord.runtime.responses import Response

__all__ = ["Handler", "Route", "Router"]


class Handler(Protocol):
    """Answers the requests of one route and method.

    It raises a ``ServiceError`` for a problem answer; ``errors`` (code → class) are the
    ones it may raise and keep on the wire, anything else becomes a 500.
    """

    errors: Mapping[str, type[ServiceError[Any]]]

    def __call__(self, request: Request, /) -> Awaitable[Response]:
        """Answer ``request``."""
        ...


_PARAM = re.compile(r"^\{([a-zA-Z_][a-zA-Z0-9_]*)\}$")
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


class Route:
    """One path template and the handler of each method it answers."""

    __slots__ = ("allow", "handlers", "span_names", "template")

    def __init__(self, template: str) -> None:
        self.template = template
        self.handlers: dict[str, Handler] = {}
        #: ``"{method} {template}"`` per method: the server span's name.
        self.span_names: dict[str, str] = {}
        #: The ``Allow`` header value of a 405.
        self.allow = ""

    def _add(self, method: str, handler: Handler) -> None:
        if method in self.handlers:
            raise ContractError(f"{method} {self.template} is routed twice")
        self.handlers[method] = handler
        self.span_names[method] = f"{method} {self.template}"
        self.allow = ", ".join(sorted(self.handlers))


class _Pattern:
    __slots__ = ("literals", "params", "route")

    def __init__(self, route: Route, parts: list[str]) -> None:
        self.route = route
        self.literals: tuple[tuple[int, str], ...] = tuple(
            (i, p) for i, p in enumerate(parts) if not _PARAM.match(p)
        )
        self.params: tuple[tuple[int, str], ...] = tuple(
            (i, m.group(1)) for i, p in enumerate(parts) if (m := _PARAM.match(p))
        )

    def specificity(self) -> tuple[bool, ...]:
        """Sort key: a literal segment earlier in the path ranks first."""
        positions = {i for i, _ in self.params}
        return tuple(i in positions for i in range(len(self.literals) + len(self.params)))

    def match(self, segments: list[str]) -> dict[str, str] | None:
        for i, literal in self.literals:
            if segments[i] != literal:
                return None
        values: dict[str, str] = {}
        for i, name in self.params:
            value = segments[i]
            if not value:
                return None
            values[name] = value
        return values


class Router:
    """Every route of an app; build it once with :meth:`add`, then :meth:`match`."""

    def __init__(self) -> None:
        self._exact: dict[str, Route] = {}
        self._templated: dict[str, Route] = {}
        self._by_length: dict[int, list[_Pattern]] = {}

    def add(self, method: str, template: str, handler: Handler) -> Route:
        """Route ``method template`` to ``handler``; raises ContractError on a clash."""
        if not template.startswith("/"):
            raise ContractError(f"route {template!r} must start with '/'")
        parts = template.split("/")
        if not any(_PARAM.match(p) for p in parts):
            route = self._exact.setdefault(template, Route(template))
        elif template in self._templated:
            route = self._templated[template]
        else:
            route = self._templated[template] = Route(template)
            patterns = self._by_length.setdefault(len(parts), [])
            patterns.append(_Pattern(route, parts))
            patterns.sort(key=_Pattern.specificity)
        route._add(method, handler)
        return route

    def routes(self) -> list[Route]:
        """Every route, exact ones first."""
        return [*self._exact.values(), *self._templated.values()]

    def match(
        self, path: str, raw_path: bytes | None = None
    ) -> tuple[Route, Mapping[str, str]] | None:
        """The route of ``path`` and its parameter values, or ``None`` (a 404).

        ``raw_path`` (still percent-encoded) is split when given, so that an encoded
        ``/`` inside a parameter value stays inside it.
        """
        route = self._exact.get(path)
        if route is not None:
            return route, _NO_PARAMS
        if not self._by_length:
            return None
        if raw_path is not None and b"%" in raw_path:
            segments = [unquote(s) for s in raw_path.decode("latin-1").split("/")]
        else:
            segments = path.split("/")
        for pattern in self._by_length.get(len(segments), ()):
            values = pattern.match(segments)
            if values is not None:
                return pattern.route, values
        return None
