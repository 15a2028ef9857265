"""How long ``accord contracts diff`` takes as documents grow.

::

    .venv/bin/python bench/compat.py [--sizes 100,1000,5000] [--repeat 5] [--out FILE]

For each size it generates an OpenAPI 3.1 document of that many operations (half
``GET /r<i>/items/{id}`` with path, query and header parameters, half ``POST /r<i>/items``
with a JSON body and a callback that sends the resource; every operation answers a
component schema of nested objects and arrays, a 404 problem and a response header;
one resource in ten has a webhook, and the document a templated server) and a revision
in which one operation in twenty changes (a property removed, an enum value added, a
bound tightened). It times
parsing both documents and the diff itself, keeps the best of ``--repeat`` runs, and
prints a table, how the time grows from one size to the next, and the same as JSON.
Not part of ``make test``: it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from accord import compat

TARGET_SECONDS = 1.0  # what a 1,000-operation diff must stay under
REGION = {"default": "eu", "enum": ["eu", "us"]}


def generate(operations: int) -> dict[str, Any]:
    """A document with ``operations`` operations over ``operations // 2`` resources."""
    paths: dict[str, Any] = {}
    webhooks: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Problem": {
            "type": "object",
            "required": ["code", "title"],
            "properties": {"code": {"type": "string"}, "title": {"type": "string"}},
        }
    }
    for i in range(max(1, operations // 2)):
        name = f"Item{i}"
        schemas[name] = {
            "type": "object",
            "required": ["id", "name", "status", "lines"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "minLength": 1, "maxLength": 100},
                "status": {"enum": ["new", "active", "closed"]},
                "price": {"type": ["number", "null"], "minimum": 0},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                "lines": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}Line"}},
            },
        }
        schemas[f"{name}Line"] = {
            "type": "object",
            "required": ["sku", "quantity"],
            "properties": {
                "sku": {"type": "string", "pattern": "^[A-Z0-9-]+$"},
                "quantity": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1000},
            },
        }
        ok = {
            "description": "OK",
            "headers": {"X-Correlation-ID": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
        missing = {
            "description": "Not found",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        sent = {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                },
            },
            "responses": {"204": {"description": "Received"}},
        }
        paths[f"/r{i}/items/{{id}}"] = {
            "get": {
                "operationId": f"get{i}",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "expand", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "X-Tenant", "in": "header", "schema": {"type": "string"}},
                ],
                "responses": {"200": ok, "404": missing},
                "x-accord-idempotency": "read_only",
                "x-accord-timeout": 2.0,
            }
        }
        paths[f"/r{i}/items"] = {
            "post": {
                "operationId": f"create{i}",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": {"201": ok, "404": missing},
                "callbacks": {"created": {"{$request.body#/callbackUrl}": {"post": sent}}},
                "x-accord-idempotency": "requires_key",
                "x-accord-timeout": 5.0,
            }
        }
        if i % 10 == 0:
            webhooks[f"item{i}Changed"] = {"post": sent}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"bench {operations}", "version": "1.0.0"},
        "servers": [{"url": "https://{region}.example.com", "variables": {"region": REGION}}],
        "paths": paths,
        "webhooks": webhooks,
        "components": {"schemas": schemas},
    }


def revise(doc: dict[str, Any]) -> dict[str, Any]:
    """A revision of ``doc`` in which one resource in twenty changes."""
    rev = copy.deepcopy(doc)
    schemas = rev["components"]["schemas"]
    for i in range(0, len(rev["paths"]) // 2, 10):
        item = schemas[f"Item{i}"]
        del item["properties"]["tags"]
        item["properties"]["status"]["enum"].append("archived")
        schemas[f"Item{i}Line"]["properties"]["quantity"]["maximum"] = 500
    return rev


def measure(operations: int, repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` timings for one size."""
    base_bytes = json.dumps(generate(operations)).encode()
    rev_bytes = json.dumps(revise(json.loads(base_bytes))).encode()
    parse_s, diff_s, found = float("inf"), float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        base = compat.parse(base_bytes, source="base")
        revision = compat.parse(rev_bytes, source="revision")
        t1 = time.perf_counter()
        changes = compat.diff(base, revision)
        t2 = time.perf_counter()
        parse_s, diff_s, found = min(parse_s, t1 - t0), min(diff_s, t2 - t1), len(changes)
    return {
        "operations": operations,
        "document_bytes": len(base_bytes),
        "parse_s": round(parse_s, 4),
        "diff_s": round(diff_s, 4),
        "total_s": round(parse_s + diff_s, 4),
        "changes": found,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [measure(n, args.repeat) for n in sizes]
    for prev, row in zip([None, *rows], rows, strict=False):
        row["growth"] = (
            None if prev is None else round(row["total_s"] / max(prev["total_s"], 1e-9), 2)
        )
        row["us_per_operation"] = round(row["total_s"] / row["operations"] * 1e6, 1)
    print(
        f"{'operations':>10} {'bytes':>10} {'parse s':>9} {'diff s':>8} {'total s':>8} "
        f"{'µs/op':>7} {'growth':>7} {'changes':>8}"
    )
    for row in rows:
        growth = "" if row["growth"] is None else f"x{row['growth']}"
        print(
            f"{row['operations']:>10} {row['document_bytes']:>10} {row['parse_s']:>9.4f} "
            f"{row['diff_s']:>8.4f} {row['total_s']:>8.4f} {row['us_per_operation']:>7} "
            f"{growth:>7} {row['changes']:>8}"
        )
    thousand = next((r for r in rows if r["operations"] == 1000), None)
    verdict = None
    if thousand is not None:
        verdict = thousand["total_s"] < TARGET_SECONDS
        print(
            f"1,000 operations: {thousand['total_s']:.3f} s parse + diff "
            f"({'under' if verdict else 'OVER'} the {TARGET_SECONDS:.0f} s target)"
        )
    report = {"target_s": TARGET_SECONDS, "under_target": verdict, "runs": rows}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
