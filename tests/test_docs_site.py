"""The documentation site builds with `mkdocs build --strict`, and its navigation names real pages."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Pages other branches are writing; the nav names them already (mkdocs.yml lets a missing one pass).
PENDING: set[str] = set()  # nav entries whose page is still being written


def nav_pages(entries: list) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        for value in (entry.values() if isinstance(entry, dict) else [entry]):
            pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = nav_pages(config["nav"])
    present = {str(path.relative_to(ROOT / "docs")) for path in (ROOT / "docs").glob("**/*.md")}
    assert present <= set(listed), f"pages missing from the nav: {sorted(present - set(listed))}"
    assert set(listed) - present <= PENDING, f"nav entries with no page: {sorted(set(listed) - present - PENDING)}"
    assert len(listed) == len(set(listed))


@pytest.mark.skipif(any(importlib.util.find_spec(name) is None for name in ("mkdocs", "material", "mkdocstrings")),
                    reason="mkdocs-material and mkdocstrings (the docs extra) are not installed")
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "site" / "cli" / "index.html").read_text()
    assert "dealtrack owners-of" in page and "Datasette" in page
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "owners_of_many" in api and "OwnersByPatent" in api
