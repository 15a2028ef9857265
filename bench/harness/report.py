"""Medians over rounds, ratios against FastAPI, the targets, the table and the JSON file."""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.harness.variants import ENDPOINTS, REFERENCE, VARIANTS
from bench.harness.wrk import WrkResult

__all__ = [
    "TARGETS",
    "Figures",
    "Target",
    "render",
    "summarize",
    "target_lines",
    "to_json",
    "write_json",
]

#: variant → endpoint → one result per round.
Raw = Mapping[str, Mapping[str, Sequence[WrkResult]]]


@dataclass(frozen=True)
class Figures:
    """One variant and endpoint, as reported: medians of the rounds."""

    rps: float
    p50_ms: float
    p99_ms: float
    ratio_vs_fastapi: float
    non_2xx: int
    socket_errors: int


@dataclass(frozen=True)
class Target:
    """A goal: ``variant``'s requests/s on ``endpoint`` at least ``ratio`` times FastAPI's."""

    variant: str
    endpoint: str
    ratio: float

    def check(self, figures: Mapping[str, Mapping[str, Figures]]) -> str:
        """``PASS``, ``FAIL`` or ``not measured``, with the measured ratio."""
        got = figures.get(self.variant, {}).get(self.endpoint)
        label = f"{self.variant} {self.endpoint} ratio ≥ {self.ratio:.1f}"
        if got is None or got.ratio_vs_fastapi != got.ratio_vs_fastapi:  # NaN: no FastAPI
            return f"{label}: not measured"
        verdict = "PASS" if got.ratio_vs_fastapi >= self.ratio else "FAIL"
        return f"{label}: {verdict} ({got.ratio_vs_fastapi:.2f})"


#: The goals accord is held to (informational: the run does not fail on them).
TARGETS = (
    Target("accord_sampled", "order", 2.5),
    Target("accord_traced_all", "order", 1.8),
)


def summarize(raw: Raw) -> dict[str, dict[str, Figures]]:
    """Median requests/s, p50 and p99 per variant and endpoint; ratio to FastAPI's rps."""
    medians = {
        name: {
            ep: (
                statistics.median(r.rps for r in results),
                statistics.median(r.p50_ms for r in results),
                statistics.median(r.p99_ms for r in results),
                sum(r.non_2xx for r in results),
                sum(r.socket_errors for r in results),
            )
            for ep, results in by_endpoint.items()
            if results
        }
        for name, by_endpoint in raw.items()
    }
    out: dict[str, dict[str, Figures]] = {}
    for name, by_endpoint in medians.items():
        out[name] = {}
        for ep, (rps, p50, p99, non_2xx, sockets) in by_endpoint.items():
            ref = medians.get(REFERENCE, {}).get(ep)
            ratio = rps / ref[0] if ref and ref[0] > 0 else float("nan")
            out[name][ep] = Figures(rps, p50, p99, ratio, non_2xx, sockets)
    return out


def render(figures: Mapping[str, Mapping[str, Figures]], console: Console) -> None:
    """Print the table and one PASS/FAIL line per target."""
    table = Table(title="HTTP benchmark (median of rounds)", title_justify="left")
    table.add_column("variant")
    table.add_column("endpoint")
    for col in ("req/s", "p50 ms", "p99 ms", "vs FastAPI"):
        table.add_column(col, justify="right")
    table.add_column("errors", justify="right")
    for name in _ordered(figures):
        for ep in ENDPOINTS:
            f = figures[name].get(ep)
            if f is None:
                continue
            errors = f.non_2xx + f.socket_errors
            table.add_row(
                name,
                ep,
                f"{f.rps:,.0f}",
                f"{f.p50_ms:.2f}",
                f"{f.p99_ms:.2f}",
                f"{f.ratio_vs_fastapi:.2f}",
                f"[red]{errors}[/red]" if errors else "0",
            )
    console.print(table)
    for line in target_lines(figures):
        style = "green" if ": PASS" in line else "red" if ": FAIL" in line else "yellow"
        console.print(f"target {line}", style=style)


def target_lines(figures: Mapping[str, Mapping[str, Figures]]) -> list[str]:
    """One line per target in :data:`TARGETS`."""
    return [t.check(figures) for t in TARGETS]


def to_json(
    figures: Mapping[str, Mapping[str, Figures]], meta: Mapping[str, Any]
) -> dict[str, Any]:
    """``{"variants": {NAME: {ENDPOINT: {rps, p50_ms, p99_ms, ratio_vs_fastapi}}}, "meta"}``."""
    return {
        "variants": {
            name: {
                ep: {
                    "rps": round(float(f.rps), 2),
                    "p50_ms": round(float(f.p50_ms), 3),
                    "p99_ms": round(float(f.p99_ms), 3),
                    "ratio_vs_fastapi": round(float(f.ratio_vs_fastapi), 3),
                }
                for ep, f in figures[name].items()
            }
            for name in _ordered(figures)
        },
        "meta": dict(meta),
    }


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write the results file (indented, trailing newline), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _ordered(figures: Mapping[str, Any]) -> list[str]:
    known = [n for n in VARIANTS if n in figures]
    return known + sorted(n for n in figures if n not in VARIANTS)
