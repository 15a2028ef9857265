"""Rules about what clients receive and what they must hold: responses, security and
accord's ``x-accord-*`` extensions."""

from __future__ import annotations

from accord.compat.types import Level

__all__ = ["RESPONSE_RULES"]

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO

RESPONSE_RULES: tuple[tuple[str, Level, str, str, str], ...] = (
    # -- responses ---------------------------------------------------------------------
    (
        "response-success-status-removed",
        B,
        "A success (2xx) status was removed: clients that expect it break.",
        "responses: {200, 404}",
        "responses: {201, 404}",
    ),
    (
        "response-success-status-added",
        W,
        "A success (2xx) status was added: clients may not expect it.",
        "responses: {200}",
        "responses: {200, 202}",
    ),
    (
        "response-error-status-removed",
        W,
        "A non-success status (or `default`) was removed: clients' handling of it is dead.",
        "responses: {200, 404}",
        "responses: {200}",
    ),
    (
        "response-error-status-added",
        N,
        "A non-success status (or `default`) was added.",
        "responses: {200}",
        "responses: {200, 404}",
    ),
    (
        "response-media-type-removed",
        B,
        "A response media type is no longer sent: clients that read it break.",
        "content: {application/json}",
        "content: {text/plain}",
    ),
    (
        "response-media-type-added",
        N,
        "A response media type was added.",
        "content: {application/json}",
        "content: {application/json, text/csv}",
    ),
    (
        "response-required-header-removed",
        B,
        "A required response header is no longer sent.",
        "headers: {X-Rate-Limit (required)}",
        "headers: {}",
    ),
    (
        "response-optional-header-removed",
        W,
        "An optional response header is no longer sent.",
        "headers: {X-Rate-Limit}",
        "headers: {}",
    ),
    ("response-header-added", N, "A response header was added.", "headers: {}", "X-Rate-Limit"),
    (
        "response-header-became-optional",
        B,
        "A required response header became optional.",
        "required: true",
        "required: false",
    ),
    (
        "response-header-became-required",
        N,
        "An optional response header became required.",
        "required: false",
        "required: true",
    ),
    (
        "response-header-deprecated",
        N,
        "A response header was marked deprecated.",
        "deprecated: false",
        "deprecated: true",
    ),
    (
        "response-header-undeprecated",
        N,
        "A response header is no longer deprecated.",
        "deprecated: true",
        "deprecated: false",
    ),
    # -- security ----------------------------------------------------------------------
    (
        "security-added",
        B,
        "An operation open to anonymous clients now requires credentials.",
        "security: []",
        "security: [{oauth: [read]}]",
    ),
    (
        "security-removed",
        N,
        "An operation no longer requires credentials.",
        "security: [{oauth: [read]}]",
        "security: []",
    ),
    (
        "security-alternative-removed",
        B,
        "A way to authenticate was removed: clients using it are refused.",
        "security: [{apiKey: []}, {oauth: []}]",
        "security: [{oauth: []}]",
    ),
    (
        "security-alternative-added",
        N,
        "A way to authenticate was added.",
        "security: [{oauth: []}]",
        "security: [{apiKey: []}, {oauth: []}]",
    ),
    (
        "security-scope-added",
        B,
        "A security requirement needs a further scope: tokens without it are refused.",
        "security: [{oauth: [read]}]",
        "security: [{oauth: [read, write]}]",
    ),
    (
        "security-scope-removed",
        N,
        "A security requirement needs one scope fewer.",
        "security: [{oauth: [read, write]}]",
        "security: [{oauth: [read]}]",
    ),
    (
        "security-scheme-type-changed",
        B,
        "A security scheme changed type or where its credential travels.",
        "apiKey in: header",
        "apiKey in: query",
    ),
    (
        "security-scheme-flow-removed",
        B,
        "An OAuth 2 flow of a security scheme was removed.",
        "flows: {clientCredentials, authorizationCode}",
        "flows: {authorizationCode}",
    ),
    (
        "security-scheme-flow-added",
        N,
        "An OAuth 2 flow was added to a security scheme.",
        "flows: {authorizationCode}",
        "flows: {clientCredentials, authorizationCode}",
    ),
    (
        "security-scheme-url-changed",
        W,
        "An OAuth 2 token, authorization or refresh URL or an OpenID Connect discovery URL "
        "changed.",
        "tokenUrl: /token",
        "tokenUrl: /oauth/token",
    ),
    # -- accord's extensions -----------------------------------------------------------
    (
        "accord-error-code-added",
        W,
        "An operation may answer a further error code (`x-accord-errors`): clients that "
        "switch on codes meet one they do not know.",
        "x-accord-errors: [a]",
        "x-accord-errors: [a, b]",
    ),
    (
        "accord-error-code-removed",
        W,
        "An operation no longer answers an error code: clients that relied on it to "
        "detect a condition no longer see it.",
        "x-accord-errors: [a, b]",
        "x-accord-errors: [a]",
    ),
    (
        "accord-error-status-changed",
        B,
        "An error code of the catalogue changed its HTTP status.",
        "x-accord-errors: {a: {status: 404}}",
        "x-accord-errors: {a: {status: 410}}",
    ),
    (
        "accord-error-no-longer-retryable",
        W,
        "An error code is no longer retryable (`x-accord-retryable-codes`).",
        "x-accord-retryable-codes: [unavailable]",
        "x-accord-retryable-codes: []",
    ),
    (
        "accord-error-became-retryable",
        N,
        "An error code became retryable.",
        "x-accord-retryable-codes: []",
        "x-accord-retryable-codes: [unavailable]",
    ),
    (
        "accord-idempotency-weakened",
        B,
        "The idempotency level weakened (`read_only` → `idempotent` → `requires_key`): "
        "clients that send the request again may now repeat its effect.",
        "x-accord-idempotency: idempotent",
        "x-accord-idempotency: requires_key",
    ),
    (
        "accord-idempotency-strengthened",
        N,
        "The idempotency level strengthened: the request is safer to send again.",
        "x-accord-idempotency: requires_key",
        "x-accord-idempotency: idempotent",
    ),
    (
        "accord-timeout-shortened",
        W,
        "The operation's timeout (`x-accord-timeout`) was shortened: clients give the "
        "call less time than it was allowed to take.",
        "x-accord-timeout: 5.0",
        "x-accord-timeout: 2.0",
    ),
    (
        "accord-timeout-lengthened",
        N,
        "The operation's timeout was lengthened.",
        "x-accord-timeout: 2.0",
        "x-accord-timeout: 5.0",
    ),
    (
        "accord-scope-added",
        B,
        "The operation needs a further scope (`x-accord-scopes`).",
        "x-accord-scopes: [reports:read]",
        "x-accord-scopes: [reports:read, reports:admin]",
    ),
    (
        "accord-scope-removed",
        N,
        "The operation needs one scope fewer.",
        "x-accord-scopes: [reports:read, reports:admin]",
        "x-accord-scopes: [reports:read]",
    ),
)
