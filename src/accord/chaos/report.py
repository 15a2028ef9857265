"""The figures of a chaos run, the targets they are held to, and how they are shown.

A run's report is a list of :class:`Figure`: the engine's own (latency, restarts,
faults injected, retry amplification, the breakers' openings, the settling time:
:func:`standard_figures`) and the ones the project's scenario counts from its own data
(lost orders, double charges… for the shop). Each figure is a JSON member, a table row,
or both; one whose verdict is false and that says how it is ``broken`` is a broken
promise, and makes ``accord chaos`` exit 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from rich.table import Table

__all__ = [
    "MAX_AMPLIFICATION",
    "ChaosReport",
    "Figure",
    "held_to_zero",
    "percentile",
    "standard_figures",
]

#: The most attempts per original call the retry budget may allow.
MAX_AMPLIFICATION = 1.2


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, nearest rank) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Figure:
    """One figure of a run.

    ``key``: its member of the JSON object (empty: table only); ``label``: its row of
    the table (empty: JSON only); ``target`` the row shows and ``ok`` its verdict (None:
    none); ``broken``: the sentence :meth:`ChaosReport.failures` gives when ``ok`` is
    false (empty: a verdict shown, not a broken promise); ``shown``: the value as the
    row shows it, when not the value itself.
    """

    key: str
    label: str
    value: Any
    target: str = ""
    ok: bool | None = None
    broken: str = ""
    shown: Any = None


def held_to_zero(key: str, label: str, value: int, broken: str) -> Figure:
    """A count whose promise is zero; ``broken`` is a template with ``{n}``."""
    return Figure(key, label, value, "0", value == 0, broken.format(n=value))


@dataclass
class ChaosReport:
    """Everything a chaos run measured: ``--json`` prints one object, the table a row per
    figure with its target and verdict."""

    seed: int
    duration_s: float
    figures: list[Figure] = field(default_factory=list)

    @classmethod
    def of(
        cls, seed: int, duration_s: float, figures: list[Figure], standard: Mapping[str, Figure]
    ) -> ChaosReport:
        """A scenario's ``figures``, then the ``standard`` ones it did not place."""
        placed = {f.key for f in figures}
        rest = [f for key, f in standard.items() if key not in placed]
        return cls(seed, duration_s, [*figures, *rest])

    def __getitem__(self, key: str) -> Any:
        """The value of the figure ``key`` (KeyError when the run has none)."""
        for figure in self.figures:
            if figure.key == key:
                return figure.value
        raise KeyError(key)

    def failures(self) -> list[str]:
        """The promises this run broke, in words (empty: every promise kept)."""
        return [f.broken for f in self.figures if f.ok is False and f.broken]

    def to_dict(self) -> dict[str, Any]:
        """The figures by key, after the seed and the duration."""
        out: dict[str, Any] = {"seed": self.seed, "duration_s": self.duration_s}
        out.update((f.key, f.value) for f in self.figures if f.key)
        return out

    def to_json(self) -> bytes:
        """One JSON object."""
        return msgspec.json.encode(self.to_dict())

    def table(self) -> Table:
        """The figures as a Rich table, each with its target and a verdict."""
        table = Table(title=f"chaos run (seed {self.seed}, {self.duration_s:g} s)")
        for column in ("figure", "value", "target", ""):
            table.add_column(column)
        for f in self.figures:
            if not f.label:
                continue
            ok = f.ok
            mark = "" if ok is None else ("[green]ok[/green]" if ok else "[red]FAIL[/red]")
            table.add_row(f.label, _show(f.value if f.shown is None else f.shown), f.target, mark)
        return table


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def standard_figures(
    *,
    attempts: float,
    calls: float,
    breaker_opened: float,
    latencies: Iterable[tuple[float, float]],
    under_fault: Callable[[float], bool],
    restarts: int,
    faults_injected: float,
    settle_seconds: float,
    events: Sequence[str] = (),
    fault_changes: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Figure]:
    """The engine's figures by key: retry amplification (``attempts`` per original
    ``call`` of every accord client of the services), breakers opened, p99 latency of the
    workload's ``(start, ms)`` samples overall and under fault, requests sent, restarts,
    faults injected and the settling time; JSON only: the supervisor's ``events`` and
    the ``fault_changes`` applied live."""
    samples = list(latencies)
    amplification = round(attempts / calls if calls > 0 else 1.0, 3)
    ms = [m for _, m in samples]
    under = [m for start, m in samples if under_fault(start)]
    figures = [
        Figure(
            "retry_amplification",
            "retry amplification",
            amplification,
            f"≤ {MAX_AMPLIFICATION}",
            amplification <= MAX_AMPLIFICATION,
            f"retry amplification {amplification:.2f} > {MAX_AMPLIFICATION}",
        ),
        Figure("breaker_opened", "breaker opened", int(breaker_opened)),
        Figure("p99_ms", "p99 latency (ms)", _rounded(percentile(ms, 99))),
        Figure(
            "p99_ms_under_fault", "p99 latency under fault (ms)", _rounded(percentile(under, 99))
        ),
        Figure("requests_sent", "requests sent", len(samples)),
        Figure("restarts", "restarts", restarts),
        Figure("faults_injected", "faults injected", int(faults_injected)),
        Figure("settle_seconds", "settled after (s)", round(settle_seconds, 2)),
        Figure("events", "", list(events)),
        Figure("fault_changes", "", [dict(change) for change in fault_changes]),
    ]
    return {f.key: f for f in figures}


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
