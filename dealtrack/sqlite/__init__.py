"""The SQLite backend: every SQL statement dealtrack runs.

No module outside this package writes SQL or imports ``sqlite3`` (``tests/test_layers.py``
checks it). What is here:

- :mod:`.store`: the log (schema, triggers, appends, reads, the hash chain's
  columns, transactions) and the connection guards;
- :mod:`.view_tables`: the upkeep every folded view needs (facts of keys, open
  rows, closing and inserting rows, clearing, checkpoints), and the few log
  reads the folds and checks make by name;
- :mod:`.title_tables`: the ownership view's own reads (patents of parties,
  deals of owners, number links);
- :mod:`.reads`: the question side's reads (licences on a patent, bans against
  parties, owners and holdings on a basis, anomalies, the log as questions need it);
- :mod:`.batches`: the one helper that cuts ``IN (...)`` lists 500 values at a time.

Each is reached through the store (``store.views``, ``store.views.title``, ``store.views.reads``) and
satisfies its Protocol in :mod:`dealtrack.storage` (``ViewTables``, ``TitleTables``, ``Reads``).
"""

from __future__ import annotations

from .batches import chunks
from .reads import SQLiteReads
from .title_tables import SQLiteTitleTables
from .view_tables import SQLiteViewTables

__all__ = ["SQLiteReads", "SQLiteTitleTables", "SQLiteViewTables", "chunks"]
