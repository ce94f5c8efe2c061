"""The ``dealtrack`` command line, mirroring the Ledger API one command per method.

``app`` holds what every command shares (``--db``, ``--json``, one-line errors,
tables); ``log`` the commands that write and check the log; ``questions`` the
questions.
"""

from . import log, questions  # noqa: F401 - importing them registers their commands
from .app import main

__all__ = ["main"]
