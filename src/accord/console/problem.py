"""The console's error answer (problem details), apart from the API that raises it most,
so serving the page does not load the API (:mod:`accord.console.app`)."""

from __future__ import annotations

from typing import Any

from accord.errors import AccordError

__all__ = ["Problem"]


class Problem(AccordError):
    """An answer of problem details: HTTP status, stable code, and a sentence."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def body(self) -> dict[str, Any]:
        """The problem+json document."""
        return {
            "type": "about:blank",
            "title": self.code,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
