"""A settings class for the configuration tests: one field of each kind."""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec

from accord.config import section, setting


class Limits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A section of its own."""

    burst: Annotated[int, setting("Requests at once", reloadable=True, ge=1, le=100)] = 10


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The settings of a sample service."""

    schema_version: ClassVar[str] = "1.2.0"

    database_url: Annotated[
        str, setting("Where the data lives", pinned=True, env="{SERVICE}_DATABASE_URL")
    ] = "sqlite:///x.db"
    max_in_flight: Annotated[
        int,
        setting(
            "Requests served at once",
            reloadable=True,
            ge=1,
            le=1000,
            env=("{SERVICE}_MAX_IN_FLIGHT", "ACCORD_MAX_IN_FLIGHT"),
        ),
    ] = 512
    ratio: Annotated[float, setting("A share", reloadable=True, ge=0.0, le=1.0)] = 0.5
    debug: Annotated[bool, setting("Say more", env="SAMPLE_DEBUG")] = False
    api_key: Annotated[str, setting("A key for a partner", secret=True)] = ""
    limits: Annotated[Limits, section("Limits")] = msgspec.field(default_factory=Limits)
