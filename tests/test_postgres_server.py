"""The throwaway PostgreSQL server the PostgreSQL backend's tests run against (tests/postgres_server.py, conftest.py)."""

from __future__ import annotations

import time

import psycopg

from postgres_server import Cluster


def dbname(url: str) -> str:
    """The database a new_database() URL names (postgresql://postgres@/<dbname>?host=...)."""
    return url.split("?")[0].rsplit("/", 1)[1]


def test_a_fresh_database_answers_a_query(pg_url: str) -> None:
    with psycopg.connect(pg_url) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_each_new_database_is_distinct_and_empty(postgres: Cluster) -> None:
    first, second = postgres.new_database(), postgres.new_database()
    try:
        assert first != second
        with psycopg.connect(first) as connection:
            connection.execute("CREATE TABLE deals (id integer)")
        for url in (first, second):
            with psycopg.connect(url) as connection:
                name = connection.execute("SELECT current_database()").fetchone()
                assert name == (dbname(url),)
                tables = connection.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                ).fetchone()
                assert tables == ((1,) if url == first else (0,))
    finally:
        postgres.drop_database(first)
        postgres.drop_database(second)


def test_psql_reports_a_failing_statement(postgres: Cluster) -> None:
    failed = postgres.psql("SELECT * FROM no_such_table")
    assert failed.returncode != 0
    assert 'relation "no_such_table" does not exist' in failed.stderr
    assert postgres.psql("SELECT 1").returncode == 0


def test_a_database_is_dropped_with_a_connection_still_open(postgres: Cluster) -> None:
    url = postgres.new_database()
    left_open = psycopg.connect(url)
    try:
        postgres.drop_database(url)
        with psycopg.connect(postgres.url()) as admin:
            assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname(url)]).fetchone() is None
    finally:
        left_open.close()


def test_a_new_database_takes_well_under_a_second(postgres: Cluster) -> None:
    """CREATE DATABASE copies template0 (fsync off): cheap enough for a database per test."""
    started = time.perf_counter()
    urls = [postgres.new_database() for _ in range(5)]
    each = (time.perf_counter() - started) / len(urls)
    for url in urls:
        postgres.drop_database(url)
    print(f"new_database(): {each * 1000:.0f} ms each")
    assert each < 1.0
