"""Contracts as OpenAPI 3.1 documents.

::

    from accord import openapi

    openapi.document(Orders)         # the document as plain data
    openapi.render(Orders)           # stable JSON bytes, what /openapi.json serves
    openapi.filename(Orders)         # "orders.v1.openapi.json"
    openapi.export([Orders], Path("contracts"))

The document describes each operation's binding (path and query parameters, JSON body,
success response), every error it may answer as ``application/problem+json``, and
accord's own facts as ``x-accord-*`` extensions: idempotency, timeout, scopes, retryable
codes and the catalogue of error codes. A deprecated contract's operations are
``deprecated: true`` with an ``x-sunset`` date, and their responses document the
``Deprecation``, ``Sunset`` and ``Link`` headers. ``docs/contracts.md`` lists them all.
"""

from accord.openapi._document import OPENAPI_VERSION, document, render
from accord.openapi._files import export, filename, rendered

__all__ = ["OPENAPI_VERSION", "document", "export", "filename", "render", "rendered"]
