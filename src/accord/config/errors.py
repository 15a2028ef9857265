"""What goes wrong with configuration, said as ``file:line: key: message`` lines.

::

    AccordError
     └── ConfigError          one or more Problems (a file, a line, a key, a message)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.errors import AccordError

__all__ = ["ConfigError", "Problem"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong: where (``line`` 0 when no line applies) and why."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(AccordError):
    """The configuration cannot be used; ``problems`` says every reason, one per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
