"""The expand/contract check reads upgrade() and names what drops or renames."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.release.migrations import hazards, migrations_under, read_migration
from tests.support.processes import ROOT

HEAD = """
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
TABLE = "orders"

"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('op.drop_table("orders")', "drops table orders"),
        ("op.drop_table(table_name=TABLE)", "drops table orders"),
        ('op.drop_column(TABLE, "note")', "drops column orders.note"),
        ('op.drop_column("orders", column_name="note")', "drops column orders.note"),
        ('op.rename_table("orders", "purchases")', "renames table orders to purchases"),
        (
            'op.alter_column("orders", "note", new_column_name="remark")',
            "renames column orders.note to remark",
        ),
        (
            'with op.batch_alter_table("orders") as batch_op:\n'
            '        batch_op.drop_column("note")',
            "drops column orders.note",
        ),
        (
            "with op.batch_alter_table(TABLE) as b:\n"
            '        b.alter_column("note", new_column_name="remark")',
            "renames column orders.note to remark",
        ),
        (
            'op.execute("ALTER TABLE orders DROP COLUMN note")',
            "runs SQL that drops or renames: ALTER TABLE orders DROP COLUMN note",
        ),
    ],
)
def test_each_contracting_operation_is_named(body: str, expected: str) -> None:
    source = f"{HEAD}def upgrade() -> None:\n    {body}\n"
    (hazard,) = hazards(source, "0009_contract.py")
    assert hazard.what == expected
    assert str(hazard) == f"0009_contract.py:{hazard.line}: {expected}"


@pytest.mark.parametrize(
    "body",
    [
        'op.add_column("orders", sa.Column("remark", sa.String(), nullable=True))',
        'op.create_table("refunds", sa.Column("id", sa.String(), primary_key=True))',
        'op.alter_column("orders", "note", nullable=True)',
        'op.create_index("ix_orders_note", "orders", ["note"])',
        'op.drop_index("ix_orders_note", table_name="orders")',
        "op.execute(\"UPDATE orders SET note = '' WHERE note IS NULL\")",
    ],
)
def test_expanding_operations_pass(body: str) -> None:
    assert hazards(f"{HEAD}def upgrade() -> None:\n    {body}\n") == []


def test_downgrade_may_drop_what_upgrade_created() -> None:
    source = (
        f"{HEAD}def upgrade() -> None:\n"
        '    op.create_table("refunds", sa.Column("id", sa.String()))\n\n'
        'def downgrade() -> None:\n    op.drop_table("refunds")\n'
    )
    assert hazards(source) == []


def test_the_shop_s_migrations_only_expand() -> None:
    found = migrations_under(ROOT / "shop")
    assert {m.revision for m in found} >= {"0001", "0002"}
    assert len(found) >= 9
    assert [h for m in found for h in m.hazards] == []


def test_a_revision_of_idempotency_keys_only_creates(tmp_path: Path) -> None:
    path = tmp_path / "0002_keys.py"
    path.write_text(
        "from accord.sql import idempotency_migration\n\n"
        'revision = "0002"\ndown_revision = "0001"\n'
        'upgrade, downgrade = idempotency_migration("refund_keys")\n'
    )
    migration = read_migration(path)
    assert migration is not None
    assert (migration.revision, migration.hazards) == ("0002", ())
    path.write_text('revision = "0002"\nupgrade, downgrade = make("refund_keys")\n')
    assert read_migration(path) is None


def test_files_that_are_not_revisions_are_ignored(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "helpers.py").write_text("def upgrade():\n    pass\n")
    (versions / "broken.py").write_text("def (:\n")
    (versions / "0001_x.py").write_text(
        HEAD.replace('"0009"', '"0001"') + "def upgrade():\n    op.drop_table('t')\n"
    )
    assert read_migration(versions / "helpers.py") is None
    (migration,) = migrations_under(tmp_path)
    assert migration.revision == "0001"
    assert [h.what for h in migration.hazards] == ["drops table t"]
