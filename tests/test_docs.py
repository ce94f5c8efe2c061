"""Every Python example in README.md and docs/ runs, in order, each file in its own namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_there_are_examples_to_run() -> None:
    assert sum(len(BLOCK.findall(doc.read_text())) for doc in DOCUMENTS) >= 10


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_document_examples_run(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.chdir(tmp_path)
    if "DEALTRACK_POSTGRES" in document.read_text():  # its examples run on a real server: a fresh database
        monkeypatch.setenv("DEALTRACK_POSTGRES", request.getfixturevalue("pg_url"))
    namespace: dict[str, object] = {"__name__": f"doc_{document.stem}"}
    for number, block in enumerate(BLOCK.findall(document.read_text()), start=1):
        code = compile(block, f"{document.name} (example {number})", "exec")
        exec(code, namespace)  # noqa: S102 - running our own documentation is the point
