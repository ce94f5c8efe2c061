# pyright: reportUnnecessaryTypeIgnoreComment=true
"""Mistakes a type checker must catch: each line carries the error it expects (type-checked, never run).

``warn_unused_ignores`` (mypy) and ``reportUnnecessaryTypeIgnoreComment`` (pyright) make an
ignore that is no longer needed an error, so these prove the checkers see the constructors.
"""

from __future__ import annotations

from dealtrack.events import PatentRegistered

PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009", colour="red")  # type: ignore[call-arg]
PatentRegistered(patent="US8000001", owner="Microsoft", effective=2009)  # type: ignore[arg-type]
PatentRegistered(owner="Microsoft", effective="2009")  # type: ignore[call-arg]
