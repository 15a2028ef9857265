"""The shop's chaos scenario, for ``accord chaos`` (``[project] chaos`` in accord.toml).

- :mod:`shop.chaos.scenario` — :class:`ShopScenario`: the schedule, the settling, the audit;
- :mod:`shop.chaos.load` — customers placing orders, retried with their keys;
- :mod:`shop.chaos.credentials` — the customers' and the operator's tokens;
- :mod:`shop.chaos.reads` — the services' data, read back as the operator;
- :mod:`shop.chaos.audit` — the invariants, counted from what was read;
- :mod:`shop.chaos.figures` — the figures, in the order the table shows them;
- :mod:`shop.chaos.logs` — placements an open breaker refused, from orders' log lines.
"""

from __future__ import annotations

from shop.chaos.scenario import ShopScenario

__all__ = ["ShopScenario"]
