"""Rules about where the API is served (``servers``) and the links between responses."""

from __future__ import annotations

from accord.compat.types import Level

__all__ = ["SERVER_RULES"]

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO

SERVER_RULES: tuple[tuple[str, Level, str, str, str], ...] = (
    (
        "server-removed",
        W,
        "A server URL is no longer listed (document, path or operation `servers`): clients "
        "that take their base URL from the document lose it.",
        "servers: [https://api.example.com, https://eu.example.com]",
        "servers: [https://api.example.com]",
    ),
    (
        "server-added",
        N,
        "A server URL was added.",
        "servers: [https://api.example.com]",
        "servers: [https://api.example.com, https://eu.example.com]",
    ),
    (
        "server-url-changed",
        W,
        "A server URL changed: clients that take their base URL from the document move.",
        "servers: [https://api.example.com/v1]",
        "servers: [https://api.example.com/api/v1]",
    ),
    (
        "server-variable-enum-value-removed",
        W,
        "A value of a server variable's `enum` was removed: clients that chose it lose it.",
        "variables: {region: {enum: [eu, us]}}",
        "variables: {region: {enum: [eu]}}",
    ),
    (
        "server-variable-enum-value-added",
        N,
        "A value was added to a server variable's `enum`.",
        "variables: {region: {enum: [eu]}}",
        "variables: {region: {enum: [eu, us]}}",
    ),
    (
        "server-variable-default-changed",
        W,
        "A server variable's `default` changed: clients that rely on it reach another server.",
        "variables: {region: {default: eu}}",
        "variables: {region: {default: us}}",
    ),
    (
        "response-link-removed",
        W,
        "A response link was removed: clients that follow it to the next call lose it.",
        "links: {GetOrder: {operationId: getOrder}}",
        "links: {}",
    ),
    (
        "response-link-added",
        N,
        "A response link was added.",
        "links: {}",
        "links: {GetOrder: {operationId: getOrder}}",
    ),
    (
        "response-link-changed",
        W,
        "A response link changed its target operation, parameters or request body.",
        "links: {GetOrder: {operationId: getOrder}}",
        "links: {GetOrder: {operationId: findOrder}}",
    ),
)
