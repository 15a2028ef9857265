"""Growing delays between password attempts on one account, never a long lockout.

The limit per client address does not stop a guesser who spreads attempts over many
addresses. So each account also has a budget: once it has had ``free_attempts``
attempts, each attempt makes the next one wait, twice as long as the last wait, from
``first_delay`` up to ``max_delay``. An attempt counts when it starts
(so a burst of concurrent guesses cannot slip past the count), a successful login
forgets the account, and so does ``forget_after`` seconds without an attempt.

An attempt made while the account must wait is refused without looking at the password
and is not counted: a customer who tries again too early does not make the wait longer.
Whatever anyone does, an account waits at most ``max_delay`` after its last attempt, so
the throttle cannot lock a customer out for long; the price is that a guesser who keeps
trying gets one guess per ``max_delay`` per account.

At most ``max_accounts`` accounts are remembered; the one idle longest is forgotten
first, so made-up addresses cannot grow the process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoginDelays"]


@dataclass(slots=True)
class _Account:
    attempts: int
    last: float
    until: float


@dataclass(kw_only=True, eq=False)
class LoginDelays:
    """Per-account delays between login attempts (see the module docstring)."""

    free_attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 30.0
    forget_after: float = 900.0
    max_accounts: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _accounts: OrderedDict[str, _Account] = field(
        default_factory=OrderedDict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if (
            self.free_attempts < 1
            or not 0 < self.first_delay <= self.max_delay
            or self.max_accounts < 1
        ):
            raise ValueError("free_attempts, first_delay, max_delay or max_accounts is wrong")

    def attempt(self, account: str) -> float:
        """Count an attempt on ``account`` and return 0, or the seconds it must still wait
        (the attempt is then refused and not counted)."""
        now = self.clock()
        state = self._accounts.get(account)
        if state is not None and now - state.last > self.forget_after:
            state = None
        if state is not None and now < state.until:
            return state.until - now
        if state is None:
            state = self._accounts[account] = _Account(0, now, now)
            while len(self._accounts) > self.max_accounts:
                self._accounts.popitem(last=False)
        self._accounts.move_to_end(account)
        state.attempts += 1
        state.last = now
        over = state.attempts - self.free_attempts
        if over >= 0:
            state.until = now + min(self.max_delay, self.first_delay * 2.0 ** min(over, 62))
        return 0.0

    def succeeded(self, account: str) -> None:
        """``account`` logged in: its attempts are forgotten."""
        self._accounts.pop(account, None)
