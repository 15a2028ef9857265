"""The benchmarked apps: one module per stack, each serving the same two endpoints.

- ``GET /ping`` answers ``{"ok": true}``;
- ``POST /orders`` takes ``{"customer_id": str, "items": [{"sku": str, "qty": int > 0}]
  (1..50 items), "note": str?}``, validates it and answers 201
  ``{"order_id": str, "total_items": int}``; invalid input gets a 422.

Every module exposes ``create_app()`` (served with ``uvicorn --factory``) and ``PATHS``,
the URL path of each endpoint; nothing is built at import time.
"""

__all__: list[str] = []
