"""The CLI prints stored text as text: no rich markup, no terminal sequences, no forged rows (issue 16, item 7)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealtrack import Ledger
from dealtrack.cli import main
from dealtrack.events import PatentRegistered

HOSTILE_NAMES = {
    "rich markup": "Evil [/] Corp [bold red]x[/bold red] [link=http://x]y[/link]",
    "an unclosed tag": "[/",
    "terminal escapes": "Evil\x1b[2J\x1b]0;owned\x07Corp",
    "a forged row": "Evil\r\n| US9999999 | Nobody |\nCorp",
    "a bidi override": "Evil\u202eproC",
    "NUL and DEL": "Evil\x00\x7fCorp",
}


@pytest.mark.parametrize("case", HOSTILE_NAMES)
def test_a_hostile_party_name_is_printed_as_text_by_every_listing(tmp_path: Path, case: str) -> None:
    name = HOSTILE_NAMES[case]
    db = tmp_path / "deals.db"
    with Ledger.open(db) as ledger:
        ledger.append(PatentRegistered(patent="US8000001", owner=name, effective="2009-03-03", note=name))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (["owners", "US8000001", "--on", "2010"], ["events"], ["portfolio", name, "--on", "2010"],
                 ["anomalies"], ["chain", "US8000001"]):
        result = CliRunner().invoke(main, ["--readonly", *args, "--db", str(db)])
        assert result.exit_code == 0, (args, result.output)
        out = result.stdout
        assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\x00" not in out
        assert not any(line.lstrip("│|┃ ").startswith("US9999999") for line in out.splitlines())  # no forged row
        if args[0] in ("owners", "events"):
            assert name[:2] in out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
