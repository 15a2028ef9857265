"""The audit trail: security-relevant events as chained, append-only JSON lines.

Logins, refused tokens and scopes, key and certificate rotations, flag and configuration
changes, rollouts and rollbacks are written apart from ordinary logs, under
``<project home>/audit/<name>.jsonl``, each record carrying the hash of the one before
(docs/audit.md). ``accord audit verify`` checks the chains; ``accord audit tail`` reads
them.
"""

from __future__ import annotations

from accord.audit.file import AuditFile
from accord.audit.read import audit_files, read_records
from accord.audit.record import GENESIS, record_hash
from accord.audit.trail import AUDIT_DIR, AuditSink, AuditTrail, NullAudit, operator
from accord.audit.verify import Break, Report, verify_file

__all__ = [
    "AUDIT_DIR",
    "GENESIS",
    "AuditFile",
    "AuditSink",
    "AuditTrail",
    "Break",
    "NullAudit",
    "Report",
    "audit_files",
    "operator",
    "read_records",
    "record_hash",
    "verify_file",
]
