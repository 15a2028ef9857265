"""Contracts: what a service offers, declared in Python.

A contract names a service and its semantic version, and lists its operations::

    class Inventory(Contract, name="inventory", version="1.0.0"):
        \"\"\"Stock of every SKU.\"\"\"

        reserve = operation(
            ReserveStock, Reservation,
            method="POST", path="/reservations", status=201,
            idempotency=Idempotency.REQUIRES_KEY, timeout=2.0,
            scopes=("inventory:reserve",), errors=(OutOfStock, UnknownSku),
        )

Two shorthands say what most operations are: :func:`read` (``GET``, read-only, 200) and
:func:`create` (``POST``, 201, an ``Idempotency-Key`` required)::

    get_stock = read(SkuRef, Stock, "/skus/{sku}", scopes=("inventory:read",))

The same class is the typed client: ``Inventory.client(url)`` returns an ``Inventory``
whose attributes are async callables (``await inv.reserve(ReserveStock(...))``), and the
runtime serves an implementation whose methods carry the operations' names.

Every operation is bound to HTTP under ``/v<major>``: path parameters come from the
request fields named in the path template; for ``GET`` and ``DELETE`` the remaining
fields are query parameters; otherwise they are the JSON body.

A major version that a newer one replaces is declared deprecated, with the date it
stops being served and where its successor is described::

    class Orders(Contract, name="orders", version="1.1.0",
                 deprecated=date(2026, 11, 27), sunset=date(2027, 6, 30),
                 successor="/v2/openapi.json"):
        ...

Its document marks every operation deprecated, and every answer of its operations
carries the ``Deprecation``, ``Sunset`` and ``Link`` headers (see :class:`Deprecation`).

One module per concern: :mod:`~accord.contract.declaration` (the contract and its
operations), :mod:`~accord.contract.wire` (where each field travels and how it is
decoded), :mod:`~accord.contract.binding` (the typed client's side) and
:mod:`~accord.contract.secrets` (fields that never appear in logs).
"""

# UNSET and _Unset (the client's "use the default" marker) stay importable from here.
from accord.contract.binding import UNSET as UNSET
from accord.contract.binding import BoundOperation
from accord.contract.binding import _Unset as _Unset
from accord.contract.declaration import Contract, Idempotency, Operation, create, operation, read
from accord.contract.secrets import Secret, secret_fields
from accord.deprecation import Deprecation

__all__ = [
    "BoundOperation",
    "Contract",
    "Deprecation",
    "Idempotency",
    "Operation",
    "Secret",
    "create",
    "operation",
    "read",
    "secret_fields",
]
