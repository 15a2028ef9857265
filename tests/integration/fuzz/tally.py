"""What each fuzzing pass did, counted, and printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TALLIES", "Tally", "record"]


@dataclass
class Tally:
    """One operation's pass: cases generated, sent, answered as overloaded, validated."""

    name: str
    generated: int = 0
    sent: int = 0
    overloaded: int = 0
    validated: int = 0


#: Every pass of this run, in the order they ran.
TALLIES: list[Tally] = []


def record(tally: Tally) -> None:
    """Keep ``tally`` for the summary at the end of the run."""
    TALLIES.append(tally)
