"""The audit chain: appends from threads and processes stay whole; edits, removals,
reordering and torn writes are named by file and line."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from accord.audit import GENESIS, AuditFile, AuditTrail, read_records, verify_file


def _event(n: int) -> dict[str, object]:
    return {
        "time": f"2026-12-07T09:00:{n % 60:02d}.000000Z",
        "actor": "operator:test",
        "action": "test.event",
        "target": f"thing-{n}",
        "outcome": "success",
        "details": {"n": n},
    }


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def _filled(tmp_path: Path, count: int = 5) -> Path:
    file = AuditFile(tmp_path / "audit" / "t.jsonl")
    for n in range(count):
        file.append(_event(n))
    return file.path


def test_records_chain_from_genesis(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    records = [json.loads(line) for line in _lines(path)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in itertools.pairwise(records))
    report = verify_file(path)
    assert report.broken is None and report.records == 5


def test_an_edited_record_is_named(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    lines = _lines(path)
    lines[2] = lines[2].replace('"thing-2"', '"thing-X"')
    path.write_text("".join(lines))
    broken = verify_file(path).broken
    assert broken is not None and broken.line == 3 and "edited" in broken.problem
    assert str(broken).startswith(f"{path}:3: ")


def test_a_removed_record_is_named(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    lines = _lines(path)
    del lines[1]
    path.write_text("".join(lines))
    broken = verify_file(path).broken
    assert broken is not None and broken.line == 2 and "removed" in broken.problem


def test_reordered_records_are_named(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    lines = _lines(path)
    lines[3], lines[4] = lines[4], lines[3]
    path.write_text("".join(lines))
    broken = verify_file(path).broken
    assert broken is not None and broken.line == 4


def test_a_removed_last_record_with_rehashed_seq_still_breaks_on_prev(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    lines = _lines(path)
    record = json.loads(lines[2])
    record["seq"] = 2  # pretend record 2 never existed, keeping the old hash
    lines[2] = json.dumps(record) + "\n"
    del lines[1]
    path.write_text("".join(lines))
    broken = verify_file(path).broken
    assert broken is not None and broken.line == 2


def test_a_torn_last_line_is_reported_and_the_next_append_chains_on(tmp_path: Path) -> None:
    path = _filled(tmp_path, 3)
    with path.open("ab") as handle:
        handle.write(b'{"seq":4,"time":"2026-')  # a crash mid-write
    broken = verify_file(path).broken
    assert broken is not None and broken.line == 4 and "torn" in broken.problem
    AuditFile(path).append(_event(9))
    lines = _lines(path)
    assert len(lines) == 5 and json.loads(lines[4])["seq"] == 4
    assert json.loads(lines[4])["prev"] == json.loads(lines[2])["hash"]
    broken = verify_file(path).broken
    assert broken is not None and broken.line == 4, "the torn line is still reported"


def test_threads_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    file = AuditFile(tmp_path / "t.jsonl")

    def work(base: int) -> None:
        for n in range(50):
            file.append(_event(base + n))

    threads = [threading.Thread(target=work, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_file(file.path)
    assert report.broken is None and report.records == 200


_WRITER = """
import sys
from pathlib import Path
from accord.audit import AuditFile
file = AuditFile(Path(sys.argv[1]))
for n in range(100):
    file.append({"time": "t", "actor": sys.argv[2], "action": "a", "target": str(n),
                 "outcome": "success", "details": {}})
"""


def test_processes_appending_to_one_file_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), f"p{k}"]) for k in range(3)
    ]
    for proc in procs:
        assert proc.wait(60) == 0
    report = verify_file(path)
    assert report.broken is None and report.records == 300
    actors = {r["actor"] for r in read_records(path)[0]}
    assert actors == {"p0", "p1", "p2"}


def test_the_trail_writes_everything_queued_on_close(tmp_path: Path) -> None:
    trail = AuditTrail.under(tmp_path, "svc")
    for n in range(500):
        trail.record("test.event", actor="a", target=str(n), outcome="success")
    trail.close()
    report = verify_file(tmp_path / "audit" / "svc.jsonl")
    assert report.broken is None and report.records == 500


def test_secret_named_details_are_redacted(tmp_path: Path) -> None:
    trail = AuditTrail.under(tmp_path, "svc")
    trail.record(
        "test.event",
        actor="a",
        target="t",
        outcome="success",
        details={"password": "hunter2", "nested": {"access_token": "abc.def"}, "kid": "k1"},
    )
    trail.close()
    text = (tmp_path / "audit" / "svc.jsonl").read_text()
    assert "hunter2" not in text and "abc.def" not in text and '"kid":"k1"' in text


def test_a_trail_name_must_be_a_plain_file_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        AuditTrail.under(tmp_path, "../escape")
