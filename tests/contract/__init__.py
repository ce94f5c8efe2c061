"""The storage contract suite: what every dealtrack backend must pass.

``suite.py`` holds plain test classes (not collected on their own) written
against the public :class:`dealtrack.Ledger` API and the storage contract of
:mod:`dealtrack.storage`. Each backend has one ``test_<backend>.py`` that
subclasses them with its fixtures (see ``test_sqlite.py``), the way
eventsourcing's ``tests/persistence.py`` is subclassed by each of its backends.
"""
