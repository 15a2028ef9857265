"""Several processes appending to one span file: no torn line, no lost span."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from accord.observability.otlp_json import FileSpanExporter, decode_line

WRITERS = 6
SPANS_PER_WRITER = 1500

# Each writer makes its spans, waits for the go file, then exports them in batches of
# uneven sizes (one of them above the per-line limit, so it becomes two lines).
WRITER = """
import sys, time
from pathlib import Path
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from accord.observability.otlp_json import FileSpanExporter

writer, count, path, go = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
memory = InMemorySpanExporter()
provider = TracerProvider(resource=Resource.create({"service.name": f"w{writer}"}))
provider.add_span_processor(SimpleSpanProcessor(memory))
tracer = provider.get_tracer("test")
for seq in range(count):
    attrs = {"writer": writer, "seq": seq, "pad": "x" * 300}
    with tracer.start_as_current_span("s", attributes=attrs):
        pass
spans = memory.get_finished_spans()
exporter = FileSpanExporter(path)
while not go.exists():
    time.sleep(0.001)
i, sizes = 0, [1, 37, 600, 5, 250, 90]
while i < len(spans):
    size = sizes[(i + writer) % len(sizes)]
    assert exporter.export(spans[i : i + size]).name == "SUCCESS"
    i += size
exporter.shutdown()
"""


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "telemetry" / "shared.jsonl"
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(w), str(SPANS_PER_WRITER), str(path), str(go)]
        )
        for w in range(WRITERS)
    ]
    try:
        time.sleep(0.5)
        go.touch()
        codes = [p.wait(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert codes == [0] * WRITERS
    seen: set[tuple[int, int]] = set()
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # the file ends with a complete line
    for line in lines[:-1]:
        json.loads(line)  # every line is whole JSON on its own
        records = decode_line(line)
        assert len({r.service for r in records}) == 1  # a line never mixes writers
        for r in records:
            key = (r.attributes["writer"], r.attributes["seq"])
            assert key not in seen
            seen.add(key)
    assert len(seen) == WRITERS * SPANS_PER_WRITER


def test_a_forked_child_takes_its_own_lock(tmp_path: Path) -> None:
    """After fork the child must not share the parent's open file (and so its flock)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    spans = memory.get_finished_spans()
    path = tmp_path / "forked.jsonl"
    exporter = FileSpanExporter(path)
    exporter.export(spans)  # opens the file in the parent
    parent_fd = exporter._fd
    assert parent_fd is not None
    fcntl.flock(parent_fd, fcntl.LOCK_EX)
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: export, then report
        try:
            ok = exporter.export(spans).name == "SUCCESS"
            os.write(done_w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    try:
        os.set_blocking(done_r, False)
        time.sleep(0.5)
        try:
            early = os.read(done_r, 1)
        except BlockingIOError:
            early = b""
        assert early == b"", "the child wrote while the parent held the lock"
        fcntl.flock(parent_fd, fcntl.LOCK_UN)
        os.set_blocking(done_r, True)
        assert os.read(done_r, 1) == b"1"
    finally:
        os.waitpid(pid, 0)
        os.close(done_r)
        os.close(done_w)
        exporter.shutdown()
    assert len(path.read_bytes().splitlines()) == 2
