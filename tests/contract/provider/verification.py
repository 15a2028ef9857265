"""Replay a committed pact against a running provider and say, plainly, what broke.

Provider states are set up by name: ``states`` maps each state a pact may name to a
coroutine function that takes the state's parameters and puts the provider in that
state through the provider's own ports; it runs on the app's event loop. A failure
names the consumer, the interaction (its description) and the JSON path of the field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.contract.provider.serving import Served
from tests.contract.support import import_pact, read_pact

__all__ = ["StateSetup", "Verification", "verify"]

pact = import_pact()

StateSetup = Callable[[Mapping[str, Any]], Awaitable[None]]

_MISSING_KEYS = re.compile(r"missing the following keys: (?P<keys>.+)$")


@dataclass(frozen=True)
class Verification:
    """The outcome of replaying one pact file."""

    passed: bool
    #: One line per failed check: consumer, interaction, field and what is wrong.
    failures: tuple[str, ...]
    #: The verifier's own report, without colours.
    output: str

    def report(self) -> str:
        """Every failure, then the verifier's report."""
        return "\n".join((*self.failures, "", self.output))


def verify(
    provider: str, pact_file: Path, running: Served, states: Mapping[str, StateSetup]
) -> Verification:
    """Replay every interaction of ``pact_file`` against ``running``."""
    document = read_pact(pact_file)
    consumer = document["consumer"]["name"]
    descriptions = [i["description"] for i in document["interactions"]]

    broken: list[str] = []

    def set_up(state: str, parameters: dict[str, Any] | None) -> None:
        # Never raise to the verifier: it would retry with growing pauses for minutes.
        # The interaction then fails on its own, and the reason is reported here.
        setup = states.get(state)
        try:
            if setup is None:
                raise LookupError("no set-up is registered for it")
            running.portal.call(setup, parameters or {})
        except Exception as exc:
            broken.append(
                f"pact {consumer} -> {provider}: provider state {state!r} "
                f"({parameters or {}}) could not be set up: {type(exc).__name__}: {exc}"
            )

    host = running.url.split("//", 1)[1].split(":", 1)[0]
    verifier = (
        pact.Verifier(provider, host=host)
        .add_transport(url=running.url)
        .add_source(pact_file)
        .state_handler(set_up, teardown=False)
        .set_coloured_output(enabled=False)
    )
    try:
        verifier.verify()
    except RuntimeError:
        failures = [*broken, *_failures(verifier.results, consumer, provider, descriptions)]
    else:
        failures = broken
    return Verification(
        passed=not failures,
        failures=tuple(failures),
        output=verifier.output(strip_ansi=True),
    )


def _failures(
    results: Mapping[str, Any], consumer: str, provider: str, descriptions: list[str]
) -> list[str]:
    lines = []
    for error in results.get("errors", []):
        title = str(error.get("interaction", ""))
        description = next((d for d in descriptions if title.endswith(f" - {d}")), title)
        where = f"pact {consumer} -> {provider}, interaction {description!r}"
        mismatch = error.get("mismatch", {})
        found = mismatch.get("mismatches") or [mismatch]
        for m in found:
            text = str(m.get("mismatch") or m.get("message") or m)
            lines.extend(f"{where}: {field}: {text}" for field in _fields(m, text))
    return lines


def _fields(mismatch: Mapping[str, Any], text: str) -> list[str]:
    """The JSON paths a mismatch is about: each missing key under its parent's path."""
    path = str(mismatch.get("path") or mismatch.get("type") or "?")
    missing = _MISSING_KEYS.search(text)
    if missing is None:
        return [path]
    keys = [key.strip() for key in missing["keys"].split(",")]
    if any(path.endswith(f".{key}") for key in keys):
        return [path]  # the verifier already reports one mismatch per missing field
    return [f"{path}.{key}" for key in keys]
