"""Rules about requests the API sends: callbacks and webhooks.

There the roles flip: the API is the client and the consumer's endpoint the server. The
request (its parameters and body) is what consumers **receive**, so widening it breaks
them; the response is what consumers **send**, so narrowing what the API accepts
breaks them.
"""

from __future__ import annotations

from accord.compat.types import Level

__all__ = ["CALLBACK_RULES"]

B, W, N = Level.BREAKING, Level.WARNING, Level.INFO

CALLBACK_RULES: tuple[tuple[str, Level, str, str, str], ...] = (
    (
        "webhook-removed",
        B,
        "A webhook (or one of its methods) was removed: subscribers stop receiving it.",
        "webhooks: {newPet: {post}}",
        "webhooks: {}",
    ),
    ("webhook-added", N, "A webhook was added.", "webhooks: {}", "webhooks: {newPet: {post}}"),
    (
        "callback-removed",
        B,
        "A callback of an operation (or one of its methods) was removed: consumers that "
        "registered for it are no longer called.",
        "callbacks: {onEvent: {...}}",
        "callbacks: {}",
    ),
    ("callback-added", N, "A callback was added.", "callbacks: {}", "callbacks: {onEvent: {...}}"),
    (
        "callback-parameter-added",
        N,
        "A callback or webhook request carries a further parameter.",
        "parameters: []",
        "parameters: [X-Trace]",
    ),
    (
        "callback-required-parameter-removed",
        B,
        "A required parameter of a callback or webhook request is no longer sent: "
        "consumers that read it break.",
        "parameters: [X-Signature (required)]",
        "parameters: []",
    ),
    (
        "callback-optional-parameter-removed",
        W,
        "An optional parameter of a callback or webhook request is no longer sent.",
        "parameters: [X-Trace]",
        "parameters: []",
    ),
    (
        "callback-parameter-became-optional",
        B,
        "A callback or webhook parameter became optional: consumers may no longer get it.",
        "required: true",
        "required: false",
    ),
    (
        "callback-parameter-became-required",
        N,
        "A callback or webhook parameter is now always sent.",
        "required: false",
        "required: true",
    ),
    (
        "callback-request-body-removed",
        B,
        "A callback or webhook request no longer carries a body: consumers that read it break.",
        "requestBody: {...}",
        "(none)",
    ),
    (
        "callback-request-body-added",
        N,
        "A callback or webhook request now carries a body.",
        "(none)",
        "requestBody: {...}",
    ),
    (
        "callback-request-body-became-optional",
        B,
        "A callback or webhook request body became optional: consumers may get none.",
        "requestBody: {required: true}",
        "requestBody: {required: false}",
    ),
    (
        "callback-request-body-became-required",
        N,
        "A callback or webhook request body is now always sent.",
        "requestBody: {required: false}",
        "requestBody: {required: true}",
    ),
    (
        "callback-request-media-type-added",
        W,
        "A callback or webhook request may be sent in a further media type: consumers "
        "cannot negotiate it away.",
        "content: {application/json}",
        "content: {application/json, application/xml}",
    ),
    (
        "callback-request-media-type-removed",
        N,
        "A callback or webhook request is no longer sent in a media type.",
        "content: {application/json, application/xml}",
        "content: {application/json}",
    ),
    (
        "callback-response-status-removed",
        W,
        "A status consumers may answer a callback or webhook with is no longer listed: "
        "the API may take it for a failure.",
        "responses: {200, 204}",
        "responses: {204}",
    ),
    (
        "callback-response-status-added",
        N,
        "A status consumers may answer a callback or webhook with was added.",
        "responses: {204}",
        "responses: {200, 204}",
    ),
    (
        "callback-response-media-type-removed",
        B,
        "The API no longer accepts a media type consumers answer a callback or webhook with.",
        "content: {application/json, text/plain}",
        "content: {application/json}",
    ),
    (
        "callback-response-media-type-added",
        N,
        "The API accepts a further media type in answers to a callback or webhook.",
        "content: {application/json}",
        "content: {application/json, text/plain}",
    ),
)
