"""The feature flags of orders, declared once: key, type, default, owner and expiry.

Their definitions per environment are in ``config/<env>/flags.json`` (flagd's format);
``accord flags check`` holds the two together (``accord.toml``: ``flags =
["shop.orders.flags:FLAGS"]``). See ``docs/flags.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from accord.flags import Flag

__all__ = ["FLAGS", "PAUSE_ORDERS", "STRICT_CARD_TOKENS"]

#: A kill switch: while on, placing an order answers 503 ``orders.paused`` (reads work).
PAUSE_ORDERS = Flag.boolean(
    "pause-orders",
    default=False,
    description="Kill switch: refuse new orders with 503 orders.paused while on.",
    owner="orders-team",
    # An operational switch is kept for good; its date is reviewed each year.
    expires=date(2027, 12, 31),
)

#: A behaviour rolled out per customer: card tokens checked at the door. With it on, a
#: token that is not of the card vault's form (``tok_…``) is refused at once (422 at
#: ``$.card_token``) before any stock is held, instead of being sent on to payments.
STRICT_CARD_TOKENS = Flag.boolean(
    "strict-card-tokens",
    default=False,
    description="Refuse card tokens not of the form tok_… before holding stock.",
    owner="orders-team",
    expires=date(2027, 6, 30),
)

#: Every flag orders declares (``accord.toml`` names this list).
FLAGS: tuple[Flag[Any], ...] = (PAUSE_ORDERS, STRICT_CARD_TOKENS)
