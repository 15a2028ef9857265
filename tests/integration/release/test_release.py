"""`accord release build | list | check` on a temporary clone, with real pip and git.

The module builds inventory twice (the pip cache keeps it quick): once from a commit that
adds a column (expand: accepted), once from a commit that then drops one and renames
another (contract: refused, naming it). The first release is also served, from its own
environment, to show it runs what it was built from.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.release import find
from shop.inventory.contract import Inventory
from tests.support.processes import ROOT, free_port, stop, wait_http

VERSIONS = Path("shop/inventory/adapters/migrations/versions")

EXPAND = '''"""A note on each SKU (expand: a nullable column)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("inventory_skus", sa.Column("note", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("inventory_skus", "note")
'''

CONTRACT = '''"""Drop the note again, rename a column (contract: breaks the running version)."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("inventory_skus") as batch_op:
        batch_op.drop_column("note")
    op.alter_column("inventory_skus", "name", new_column_name="title")
'''


@dataclass
class Clone:
    root: Path
    home: Path

    def accord(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "accord", *args],
            cwd=self.root,
            env={**os.environ, "ACCORD_HOME": str(self.home)},
            capture_output=True,
            text=True,
            timeout=600,
        )

    def commit(self, path: Path, text: str, message: str) -> str:
        (self.root / path).write_text(text)
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        }
        git = ["git", "-C", str(self.root)]
        subprocess.run([*git, "add", str(path)], check=True, env=env)
        subprocess.run([*git, "commit", "-qm", message], check=True, env=env)
        return subprocess.run(
            [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
        ).stdout.strip()


@dataclass
class Built:
    clone: Clone
    good: str
    good_commit: str
    bad: str
    bad_commit: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    base = tmp_path_factory.mktemp("release")
    subprocess.run(["git", "clone", "-q", str(ROOT), str(base / "repo")], check=True)
    clone = Clone(root=base / "repo", home=base / "home")
    good_commit = clone.commit(VERSIONS / "0003_sku_note.py", EXPAND, "expand")
    first = clone.accord("release", "build", "inventory")
    assert first.returncode == 0, first.stderr
    bad_commit = clone.commit(VERSIONS / "0004_drop_note.py", CONTRACT, "contract")
    # Uncommitted changes are never part of a release.
    (clone.root / "shop" / "inventory" / "DIRTY").write_text("not committed")
    second = clone.accord("release", "build", "inventory")
    assert second.returncode == 0, second.stderr
    yield Built(clone, first.stdout.strip(), good_commit, second.stdout.strip(), bad_commit)
    for path in clone.home.rglob("*"):  # give write permission back so pytest can clean up
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_build_prints_the_contract_version_and_short_commit(built: Built) -> None:
    version = Inventory.version
    assert built.good == f"{version}-{built.good_commit[:7]}"
    assert built.bad == f"{version}-{built.bad_commit[:7]}"


def test_a_release_is_read_only_and_never_rebuilt(built: Built) -> None:
    release = find(built.clone.home, "inventory", built.good)
    assert release.manifest.commit == built.good_commit
    assert release.manifest.contracts == {"inventory": Inventory.version}
    for path in (release.path, release.path / "release.json", release.python.parent):
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path
    again = built.clone.accord("release", "build", "inventory", "--ref", built.good_commit)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines()[-1] == (
        f"accord: release {built.good} of inventory exists; a release is never rebuilt"
    )


def test_a_release_holds_only_what_was_committed(built: Built) -> None:
    release = find(built.clone.home, "inventory", built.bad)
    (site,) = (release.path / "venv" / "lib").glob("python*/site-packages")
    installed = site / "shop" / "inventory"
    assert (installed / "adapters/migrations/versions/0004_drop_note.py").is_file()
    assert not (installed / "DIRTY").exists()
    good = find(built.clone.home, "inventory", built.good)
    (site,) = (good.path / "venv" / "lib").glob("python*/site-packages")
    assert not (site / "shop/inventory/adapters/migrations/versions/0004_drop_note.py").exists()


def test_list_shows_both_oldest_first(built: Built) -> None:
    result = built.clone.accord("release", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["service"], r["version"], r["commit"]) for r in rows] == [
        ("inventory", built.good, built.good_commit),
        ("inventory", built.bad, built.bad_commit),
    ]
    assert rows[0]["path"].endswith(f"releases/inventory/{built.good}")
    table = built.clone.accord("release", "list")
    assert built.good in table.stdout and built.bad in table.stdout


def test_check_accepts_a_candidate_that_only_expands(built: Built) -> None:
    result = built.clone.accord("release", "check", "inventory", built.good)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"ok: inventory {built.good}: 3 new migration(s), expand only (no earlier release)"
    )


def test_check_refuses_a_candidate_that_drops_or_renames_in_one_line(built: Built) -> None:
    for extra in ((), ("--against", built.good)):
        result = built.clone.accord("release", "check", "inventory", built.bad, *extra)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"accord: refused: inventory {built.bad} breaks expand/contract "
            f"(against {built.good}): 0004_drop_note.py:11: drops column "
            "inventory_skus.note (and 1 more)"
        )


def test_check_and_build_refuse_bad_input_in_one_line(built: Built) -> None:
    cases = [
        (("release", "check", "inventory", "9.9.9-0000000"), "accord: no release 9.9.9-0000000"),
        (("release", "build", "nope"), "accord: no service 'nope' at HEAD"),
        (("release", "build", "inventory", "--ref", "no-such-ref"), "accord: 'no-such-ref'"),
    ]
    for args, start in cases:
        result = built.clone.accord(*args)
        assert result.returncode == 2, args
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(start), last
        assert "Traceback" not in result.stderr


def test_a_release_serves_from_its_own_environment(built: Built, tmp_path: Path) -> None:
    release = find(built.clone.home, "inventory", built.good)
    port = free_port()
    env = release.environ(
        {**os.environ, "ACCORD_HOME": str(tmp_path), "ACCORD_AUTH": "off", "PYTHONPATH": "x"}
    )
    assert "PYTHONPATH" not in env
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            release.command(port), cwd=release.cwd, env=env, stdout=log, stderr=log
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        finally:
            stop(proc)
    where = subprocess.run(
        [str(release.python), "-c", "import shop.inventory as m; print(m.__file__)"],
        cwd=release.cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(release.path / "venv"))
