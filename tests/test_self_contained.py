"""The repository stands on its own: a clone with nothing beside it has everything it needs.

During development the design notes and published vectors sat in a folder beside the checkout.
No tracked file may read or name that folder: the vectors live in ``tests/vectors/`` and the
documentation in ``docs/``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Joined at run time so that this file does not contain what it looks for.
SIBLING = "/".join(("..", "shared"))
NEEDLES = (
    SIBLING,
    "/".join(("", "work", "shared")),
    *("/".join(("shared", name)) for name in ("DESIGN.md", "domain.md", "vectors")),
)


def tracked_files() -> list[str]:
    result = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    assert result.returncode == 0, (
        f"`git ls-files` failed in {REPO}: this test needs a git checkout\n"
        + result.stderr.decode(errors="replace")
    )
    return [name for name in result.stdout.decode().split("\0") if name]


def test_no_tracked_file_names_the_sibling_folder() -> None:
    names = tracked_files()
    assert "README.md" in names, f"git ls-files in {REPO} did not list README.md"
    hits = []
    for name in names:
        path = REPO / name
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        data = path.read_bytes()
        hits += [f"{name}: {needle}" for needle in NEEDLES if needle.encode() in data]
    assert hits == [], "tracked files name the folder beside the repository:\n" + "\n".join(hits)


def test_docs_linked_from_the_readme_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/domain.md", "docs/architecture.md"):
        assert f"]({doc})" in readme, f"README.md does not link {doc}"
        assert (REPO / doc).is_file(), f"{doc} is linked from README.md but missing"
