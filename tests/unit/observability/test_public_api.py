"""The public surface of the trace-file modules: declared, present and documented."""

from __future__ import annotations

import importlib

import pytest

MODULES = {
    "accord.observability.otlp_json": {
        "MAX_SPANS_PER_LINE",
        "FileSpanExporter",
        "InvalidLine",
        "SpanRecord",
        "decode_line",
        "encode_spans",
    },
    "accord.observability.waterfall": {
        "ORPHAN_MARK",
        "Node",
        "Scan",
        "TraceSummary",
        "load",
        "render_traces",
        "render_waterfall",
        "scan",
        "traces",
        "tree",
    },
    "accord.cli.traces": {"register", "traces_command"},
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_all_is_the_public_api(name: str) -> None:
    module = importlib.import_module(name)
    assert set(module.__all__) == MODULES[name]
    assert module.__doc__
    for attr in module.__all__:
        value = getattr(module, attr)
        if callable(value):
            assert value.__doc__, f"{name}.{attr} has no docstring"
