"""Shared fixtures: a fresh in-memory ledger and a fresh file ledger."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from dealtrack import Ledger
from dealtrack.projections import runner

from postgres_server import Cluster, find_bindir

try:
    import psycopg
except ImportError:  # (the test extra has it; without it only the PostgreSQL tests cannot run)
    psycopg = None


@pytest.fixture(autouse=True)
def fold_appends_on_catch_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catch-ups fold what is new instead of rebuilding: the tests compare that path with a rebuild.

    (A catch-up that finds most of the log new rebuilds; tests of that path set the share back.)
    """
    monkeypatch.setattr(runner, "REBUILD_SHARE", 1.0)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests in a module marked ``both_backends`` take their ``ledger`` (or ``fresh_ledger``) on SQLite and on PostgreSQL
    (a test marked ``sqlite_only`` reads the file itself, and stays on SQLite)."""
    marked = metafunc.definition.get_closest_marker("both_backends") is not None
    if marked and "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The engine under the ``ledger`` fixture: SQLite in memory unless the test is parametrized."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def ledger(fresh_ledger: Callable[[], AbstractContextManager[Ledger]]) -> Iterator[Ledger]:
    with fresh_ledger() as opened:
        yield opened


@pytest.fixture
def fresh_ledger(backend: str, request: pytest.FixtureRequest) -> Callable[[], AbstractContextManager[Ledger]]:
    """Opens a new, empty ledger on the test's engine each time it is called: a hypothesis test that takes one per
    example replays a failure from its example alone, not from the events earlier examples left behind."""
    if backend == "sqlite":
        return Ledger.open
    url = request.getfixturevalue("pg_database")

    @contextmanager
    def in_a_new_schema() -> Iterator[Ledger]:
        schema = f"t_{uuid.uuid4().hex[:16]}"  # a schema per ledger: a thousand times cheaper than a database
        try:
            with Ledger.open(url, schema=schema) as opened:
                yield opened
        finally:
            with psycopg.connect(url, autocommit=True) as raw:
                raw.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return in_a_new_schema


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "deals.db"


def view_rows(ledger: Ledger) -> dict[str, list[tuple]]:
    """Every view table's rows, sorted, for comparing a kept view with a rebuilt one (the views caught up first)."""
    ledger.refresh()
    tables = ["title_facts", "title_parties", "ownership", "undisclosed_holdings", "anomalies",
              "licences", "licences_facts", "bans", "bans_facts", "bans_by_party", "bans_by_party_facts",
              "security_interests", "security_interests_facts",
              "patent_numbers", "register_records", "party_names",
              "patent_terms", "patent_terms_facts"]
    store = ledger._store
    with store.snapshot():  # (any backend: the view tables' own columns, batch by batch)
        return {t: sorted((tuple(row) for batch in store.table_batches(t) for row in batch), key=repr) for t in tables}


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for the whole run, started the first time a test asks for it.

    No server binaries: a failure in CI (CI=true), where a skip would hide the PostgreSQL tests; a skip elsewhere.
    """
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL server binaries not found, and CI must run the PostgreSQL tests: "
                        "install them (apt-get install postgresql; .ci/run does when root)", pytrace=False)
        pytest.skip("PostgreSQL server binaries not found: apt-get install postgresql")
    cluster = Cluster.start(bindir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_database(postgres: Cluster) -> str:
    """One database for the run's PostgreSQL ``ledger`` fixtures, each in its own schema."""
    return postgres.new_database()


@pytest.fixture
def pg_url(postgres: Cluster) -> Iterator[str]:
    """A fresh, empty database's libpq URL; dropped after the test (errors ignored: the test may have broken it)."""
    url = postgres.new_database()
    yield url
    try:
        postgres.drop_database(url)
    except Exception:
        pass
