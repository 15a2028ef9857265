"""Observability: tracing, metrics and structured logs of a service."""
