"""The shell sessions in the docs run: each `$ dealtrack ...` line, with the output shown under it.

Fenced blocks with a title (```json title="events.jsonl") are written to that file first, so a
session can append them. Output lines are compared without table borders and padding, since
column widths follow the terminal.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealtrack.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
FENCE = re.compile(r'^```(\w+)(?:[ \t]+title="([^"]+)")?[ \t]*\n(.*?)^```', re.MULTILINE | re.DOTALL)
BORDERS = re.compile(r"[\s│┃┏┓┗┛┡┩└┘┳┻╇┴━─]+")


def flat(line: str) -> str:
    return BORDERS.sub(" ", line).strip()


def sessions(document: Path) -> list[tuple[str, str | None, str]]:
    return [(kind, title, body) for kind, title, body in FENCE.findall(document.read_text())
            if kind == "console" or title]


WITH_SESSIONS = [doc for doc in DOCUMENTS if any(kind == "console" for kind, _, _ in sessions(doc))]


def test_the_cli_reference_has_sessions() -> None:
    assert ROOT / "docs" / "cli.md" in WITH_SESSIONS and ROOT / "README.md" in WITH_SESSIONS


@pytest.mark.parametrize("document", WITH_SESSIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_sessions_run(document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for kind, title, body in sessions(document):
        if kind != "console":
            (tmp_path / title).write_text(body)  # type: ignore[operator]
            continue
        for command in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
            line, _, shown = command.partition("\n")
            args = shlex.split(line)
            assert args[0] == "dealtrack", line
            result = runner.invoke(main, args[1:], env={"DEALTRACK_DB": None})
            expected = [flat(text) for text in shown.splitlines() if flat(text) and flat(text) != "..."]
            failing = any(text.startswith("Error:") for text in expected)
            assert result.exit_code == (1 if failing else 0), f"{line}\n{result.output}"
            actual = [flat(text) for text in result.output.splitlines()]
            missing = [text for text in expected if text not in actual]
            assert not missing, f"{line}: not in the output:\n{missing}\n--- output ---\n{result.output}"
