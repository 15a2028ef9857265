"""Deprecation of a whole contract: since when, until when, and what replaces it.

The runtime turns it into the ``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594) and
``Link: rel="successor-version"`` headers of every answer, and the OpenAPI export into
``deprecated: true`` and ``x-sunset``.
"""

from __future__ import annotations

import datetime
import re

from accord.errors import ContractError

__all__ = ["Deprecation"]

_LINK_TARGET = re.compile(r"^[!#-;=?-~]+$")


class Deprecation:
    """When a contract was deprecated, when it goes away, and what replaces it.

    - ``since``: the date from which the contract is deprecated (RFC 9745 wants a date;
      it may lie in the future, announcing the deprecation);
    - ``sunset``: the date from which it may stop answering (RFC 8594), or ``None``;
    - ``successor``: a URI reference to the document of the version that replaces it
      (``"/v2/openapi.json"``), or ``None``.

    Dates are days; on the wire they are midnight UTC of that day. Declare it with the
    ``deprecated=``, ``sunset=`` and ``successor=`` keywords of a :class:`Contract`.
    """

    __slots__ = ("since", "successor", "sunset")

    def __init__(
        self,
        since: datetime.date,
        *,
        sunset: datetime.date | None = None,
        successor: str | None = None,
    ) -> None:
        for label, day in (("deprecated", since), ("sunset", sunset)):
            if day is not None and (
                not isinstance(day, datetime.date) or isinstance(day, datetime.datetime)
            ):
                raise ContractError(f"{label} must be a datetime.date, got {day!r}")
        if sunset is not None and sunset < since:
            raise ContractError(
                f"sunset {sunset.isoformat()} comes before the deprecation {since.isoformat()}"
            )
        if successor is not None and not (
            isinstance(successor, str) and _LINK_TARGET.match(successor)
        ):
            raise ContractError(
                f"successor {successor!r} must be a URI reference (visible ASCII, "
                "without quotes or angle brackets)"
            )
        self.since = since
        self.sunset = sunset
        self.successor = successor

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Deprecation):
            return NotImplemented
        return (self.since, self.sunset, self.successor) == (
            other.since,
            other.sunset,
            other.successor,
        )

    def __hash__(self) -> int:
        return hash((self.since, self.sunset, self.successor))

    def __repr__(self) -> str:
        return f"Deprecation({self.since!r}, sunset={self.sunset!r}, successor={self.successor!r})"
