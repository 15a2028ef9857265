"""A deprecated contract in its document: flags, sunset dates and the headers it sends.

Every operation of a deprecated contract is ``deprecated: true`` with an ``x-sunset``
date (the name API linters and ``accord contracts diff`` read); ``info`` carries the
same ``x-sunset``, and ``x-accord-service`` the whole declaration. Every response of
such an operation documents the ``Deprecation``, ``Sunset`` and ``Link`` headers the
runtime sends with it. They are not marked required: a 404 for a path no operation
serves (``/v1/orders/``) comes from the router, not from the operation, and has none.
"""

from __future__ import annotations

from typing import Any

from accord.contract import Deprecation

__all__ = [
    "deprecation_header_components",
    "deprecation_header_refs",
    "operation_members",
    "service_members",
]

DEPRECATION = "Deprecation"
SUNSET = "Sunset"
SUCCESSOR_LINK = "SuccessorLink"

#: An RFC 9651 date: ``@`` and the seconds since the epoch.
_SF_DATE = r"^@-?[0-9]{1,15}$"
#: An RFC 9110 IMF-fixdate, what RFC 8594 asks of ``Sunset``.
_HTTP_DATE = (
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"
)


def deprecation_header_components(deprecation: Deprecation | None) -> dict[str, Any]:
    """``components/headers`` entries for the headers ``deprecation`` makes the runtime send."""
    if deprecation is None:
        return {}
    headers: dict[str, Any] = {
        DEPRECATION: {
            "description": (
                "RFC 9745: this operation is deprecated since "
                f"{deprecation.since.isoformat()} (midnight UTC, as `@<unix seconds>`)."
            ),
            "schema": {"type": "string", "pattern": _SF_DATE},
        }
    }
    if deprecation.sunset is not None:
        headers[SUNSET] = {
            "description": (
                "RFC 8594: this operation may stop answering from "
                f"{deprecation.sunset.isoformat()} (midnight UTC, as an HTTP-date)."
            ),
            "schema": {"type": "string", "pattern": _HTTP_DATE},
        }
    if deprecation.successor is not None:
        headers[SUCCESSOR_LINK] = {
            "description": (
                f"Where the successor version is described: `<{deprecation.successor}>; "
                'rel="successor-version"`.'
            ),
            "schema": {"type": "string"},
        }
    return headers


def deprecation_header_refs(deprecation: Deprecation | None) -> dict[str, Any]:
    """Header name → ``$ref`` for every response of a deprecated contract's operations."""
    names = {DEPRECATION: "Deprecation", SUNSET: "Sunset", SUCCESSOR_LINK: "Link"}
    return {
        names[component]: {"$ref": f"#/components/headers/{component}"}
        for component in deprecation_header_components(deprecation)
    }


def operation_members(deprecation: Deprecation | None) -> dict[str, Any]:
    """``deprecated`` and ``x-sunset`` of an operation of a deprecated contract."""
    if deprecation is None:
        return {}
    members: dict[str, Any] = {"deprecated": True}
    if deprecation.sunset is not None:
        members["x-sunset"] = deprecation.sunset.isoformat()
    return members


def service_members(deprecation: Deprecation | None) -> dict[str, Any]:
    """``deprecated`` (its date), ``sunset`` and ``successor`` for ``x-accord-service``."""
    if deprecation is None:
        return {}
    members: dict[str, Any] = {"deprecated": deprecation.since.isoformat()}
    if deprecation.sunset is not None:
        members["sunset"] = deprecation.sunset.isoformat()
    if deprecation.successor is not None:
        members["successor"] = deprecation.successor
    return members
