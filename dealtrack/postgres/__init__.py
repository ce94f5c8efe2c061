"""The PostgreSQL backend: the same ledger in a PostgreSQL database, for teams that outgrow a file.

``Ledger.open("postgresql://user@host:5432/dbname", schema="public")`` opens or
creates it (psycopg 3, the ``postgres`` extra). What is here:

- :mod:`.store`: the log's schema, its triggers (UPDATE, DELETE and TRUNCATE
  refused), the write lock that keeps positions gap-free across machines,
  snapshots, and the catalogue reads;
- :mod:`.views`: the view upkeep, the SQLite backend's portable SQL but for two statements;
- :mod:`.connection`: the psycopg connection that takes that SQL's placeholders.
"""

from __future__ import annotations

from .store import PostgresStore

__all__ = ["PostgresStore"]
