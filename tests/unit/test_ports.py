"""accord.ports: a use case tried again while concurrent transactions win its race."""

from __future__ import annotations

import pytest

from accord.ports import ConcurrencyConflict, ConflictRetry


@pytest.mark.anyio
async def test_a_lost_race_is_tried_again_after_the_pause_until_it_is_won() -> None:
    tries: list[int] = []
    pauses: list[int] = []

    async def work() -> str:
        tries.append(len(tries) + 1)
        if len(tries) < 3:
            raise ConcurrencyConflict("lost")
        return "won"

    async def pause(n: int) -> None:
        pauses.append(n)

    assert await ConflictRetry(5, pause).run(work, "the row") == "won"
    assert (tries, pauses) == ([1, 2, 3], [1, 2])


@pytest.mark.anyio
async def test_every_race_lost_gives_up_naming_what_kept_changing() -> None:
    pauses: list[int] = []

    async def work() -> None:
        raise ConcurrencyConflict("lost")

    async def pause(n: int) -> None:
        pauses.append(n)

    gave_up = r"^SKU A kept changing; gave up after 3 attempts$"
    with pytest.raises(ConcurrencyConflict, match=gave_up):
        await ConflictRetry(3, pause).run(work, "SKU A")
    assert pauses == [1, 2]  # no pause after the last try


@pytest.mark.anyio
async def test_other_errors_are_not_retried() -> None:
    tries = 0

    async def work() -> None:
        nonlocal tries
        tries += 1
        raise LookupError("not found")

    with pytest.raises(LookupError):
        await ConflictRetry(4).run(work, "x")
    assert tries == 1


def test_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        ConflictRetry(0)
