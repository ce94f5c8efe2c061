"""The SQLite backend: every SQL statement dealtrack runs.

The move is under way (issue 13): :mod:`dealtrack.store` still holds the log's
SQL, and the modules ``tests/test_layers.py`` allow-lists still hold their own;
they move here next. What is here so far:

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
