"""The CLI mirrors the API one to one, as sqlite-utils' tests/test_docs.py checks its own.

Every public method of ``Ledger`` has a command of the same name (``owners_of`` ->
``dealtrack owners-of``) documented in docs/cli.md, or sits on the list below
with the reason it has none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealtrack import Ledger
from dealtrack.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()

#: Methods with no command of their own name, and where the shell does their job instead.
EXCEPTIONS = {
    "open": "dealtrack init (and --db on every command)",
    "close": "every command closes the ledger it opened",
    "db": "the file itself: sqlite3, sqlite-utils or Datasette",
    "counts": "dealtrack events",
    "get": "dealtrack events",
    "owners_of_many": "dealtrack owners-of with several patents",
    "plot_timeline": "dealtrack title-chain --plot",
    "export_jsonl": "dealtrack export jsonl",
    "export_parquet": "dealtrack export parquet",
    "view": "--known-at and --registry-at on every question",
    "bulk": "a Python context manager; `dealtrack append FILE` is one append already",
}
PUBLIC = sorted(name for name in dir(Ledger) if not name.startswith("_"))
ALIASES = {"owners": "owners-of", "chain": "title-chain", "licensees": "licensees-of", "bans": "active-bans"}


def command_name(method: str) -> str:
    return method.replace("_", "-")


def test_the_exceptions_are_real_methods() -> None:
    assert set(EXCEPTIONS) <= set(PUBLIC)


@pytest.mark.parametrize("method", [name for name in PUBLIC if name not in EXCEPTIONS])
def test_every_ledger_method_has_a_documented_command_of_its_name(method: str) -> None:
    name = command_name(method)
    assert name in main.commands, f"Ledger.{method} has no `dealtrack {name}`; add one or list it in EXCEPTIONS"
    assert not main.commands[name].hidden
    assert re.search(rf"`dealtrack {re.escape(name)}\b", CLI_DOC), f"`dealtrack {name}` is not in docs/cli.md"


@pytest.mark.parametrize("name", sorted(name for name, command in main.commands.items() if not command.hidden))
def test_every_command_is_documented(name: str) -> None:
    assert re.search(rf"`dealtrack {re.escape(name)}\b", CLI_DOC), f"`dealtrack {name}` is not in docs/cli.md"


@pytest.mark.parametrize(("old", "new"), sorted(ALIASES.items()))
def test_the_old_names_still_work_unlisted(old: str, new: str) -> None:
    assert main.commands[old].hidden and main.commands[old].callback is main.commands[new].callback
    listed = [line.split()[0] for line in CliRunner().invoke(main, ["--help"]).output.splitlines()
              if line.startswith("  ") and line.strip()]
    assert new in listed and old not in listed


def test_each_question_command_names_its_method_in_its_help() -> None:
    for method in PUBLIC:
        command = main.commands.get(command_name(method))
        if command is not None and method not in ("append", "init"):
            assert f"ledger.{method}" in (command.help or ""), method
