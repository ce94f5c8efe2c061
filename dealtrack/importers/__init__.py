"""Importers: real data in, and whole ledgers out and back.

- :func:`import_assignments`: USPTO patent assignment XML (daily or annual files, ``.xml`` or ``.zip``);
- :func:`import_dataset`: the USPTO Patent Assignment Dataset (CSV tables);
- :func:`export_jsonl` / :func:`import_jsonl`: a whole ledger as JSON Lines, ids and times kept.

Each returns an :class:`ImportReport`; a file that cannot be read raises
:class:`~dealtrack.ImportFailed` naming the file and the record or line.
"""

from ..errors import ImportFailed
from .dataset import import_dataset
from .jsonl import export_jsonl, import_jsonl
from .report import ImportProblem, ImportReport
from .uspto import import_assignments

__all__ = [
    "ImportFailed",
    "ImportProblem",
    "ImportReport",
    "export_jsonl",
    "import_assignments",
    "import_dataset",
    "import_jsonl",
]
