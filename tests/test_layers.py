"""The layers: all SQL lives in the backend packages, ``dealtrack/sqlite/`` and ``dealtrack/postgres/``.

No SQL statement, and no ``sqlite3``, ``sqlite_utils`` or ``psycopg`` import,
anywhere else in ``dealtrack/``: a backend implements :mod:`dealtrack.storage`
and touches nothing above it (the PostgreSQL one was added that way).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dealtrack"

#: Where SQL belongs.
BACKEND = ("sqlite/", "postgres/")

SQL_STATEMENT = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA) ")
DRIVER_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:sqlite3|sqlite_utils|psycopg)\b", re.MULTILINE)


def _modules() -> list[str]:
    return sorted(path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py"))


def _outside_backend() -> list[str]:
    return [name for name in _modules() if not name.startswith(BACKEND)]


def test_the_backend_exists_where_the_layers_say() -> None:
    assert (PACKAGE / "sqlite" / "__init__.py").is_file() and (PACKAGE / "sqlite" / "store.py").is_file()
    assert not (PACKAGE / "store.py").exists()  # the log's SQL moved into the package too
    assert "projections/ownership.py" in _outside_backend()  # the scan sees the package


@pytest.mark.parametrize("module", _outside_backend())
def test_no_module_outside_the_backend_writes_an_sql_statement(module: str) -> None:
    text = (PACKAGE / module).read_text(encoding="utf-8")
    found = [line.strip() for line in text.splitlines() if SQL_STATEMENT.search(line)]
    assert found == [], f"dealtrack/{module} writes SQL; move it into dealtrack/sqlite/"


@pytest.mark.parametrize("module", _outside_backend())
def test_no_module_outside_the_backend_imports_the_database_driver(module: str) -> None:
    text = (PACKAGE / module).read_text(encoding="utf-8")
    assert DRIVER_IMPORT.findall(text) == [], f"dealtrack/{module} imports sqlite3 or sqlite_utils"


def test_the_scan_catches_a_statement_and_an_import() -> None:
    assert SQL_STATEMENT.search('conn.execute(f"DELETE FROM {table}")')
    assert SQL_STATEMENT.search("'INSERT OR IGNORE INTO title_facts'")
    assert not SQL_STATEMENT.search("a selection of updates")
    assert DRIVER_IMPORT.findall("import os\n    import sqlite3\nfrom sqlite_utils import Database\n") != []
    assert DRIVER_IMPORT.findall("from psycopg import errors\n") != []
    assert DRIVER_IMPORT.findall("from .sqlite import SQLiteViewTables\n") == []
