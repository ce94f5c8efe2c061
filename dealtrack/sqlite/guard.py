"""Typed errors at the API's edge: what SQLite or Python raise below a Ledger method becomes a DealtrackError.

The questions and appends are written against a sound file used from one
thread. When it is not (a page damaged after opening, a second thread, a
closed ledger, a lock held too long), the caller gets a
:class:`~dealtrack.errors.DealtrackError` subclass naming what was wrong, never
a bare ``sqlite3`` error.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import DealtrackError, InvalidEvent, LedgerBusy, LedgerFileError, WrongThread

__all__ = ["register", "typed_errors"]

Translator = Callable[[BaseException, str], "DealtrackError | None"]
#: The errors a Ledger method may let through from below, and who turns other backends' into dealtrack's
#: (:func:`register`: dealtrack.postgres adds psycopg's when it loads).
_CAUGHT: tuple[type[BaseException], ...] = (sqlite3.Error, OverflowError)
_TRANSLATORS: list[Translator] = []


def register(error: type[BaseException], translator: Translator) -> None:
    """Have Ledger methods turn ``error`` (another backend's driver error) into dealtrack's with ``translator``."""
    global _CAUGHT
    if error not in _CAUGHT:
        _CAUGHT = (*_CAUGHT, error)
        _TRANSLATORS.append(translator)

C = TypeVar("C", bound=type)


def translate(exc: BaseException, where: str) -> DealtrackError | None:
    """The DealtrackError that says what ``exc`` (raised below a Ledger method) means, or None to let it be."""
    if isinstance(exc, sqlite3.ProgrammingError):
        text = str(exc)
        if "thread" in text:
            return WrongThread(f"{where}: a Ledger can only be used from the thread that opened it; "
                               "open one Ledger per thread (they may share the file)")
        if "closed" in text:
            return LedgerFileError(f"{where}: the ledger is closed")
        return None
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        return LedgerBusy(f"{where}: the ledger stayed locked by another program ({exc}); nothing was written")
    if isinstance(exc, sqlite3.DatabaseError):
        return LedgerFileError(f"{where}: the ledger file cannot be read ({exc}); verify() says where it is damaged")
    if isinstance(exc, OverflowError):
        return InvalidEvent(where, "<a value>", f"a number or date is out of range: {exc}")
    for translator in _TRANSLATORS:
        typed = translator(exc, where)
        if typed is not None:
            return typed
    return None


def _wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except _CAUGHT as exc:
            typed = translate(exc, name)
            if typed is None:
                raise
            raise typed from exc

    return guarded


def typed_errors(cls: C) -> C:
    """Wrap every public method ``cls`` has (its own and inherited) so that errors from below come out typed."""
    for name in dir(cls):
        if name.startswith("_") or name in ("open",):
            continue
        attribute = inspect.getattr_static(cls, name)
        if inspect.isfunction(attribute):
            setattr(cls, name, _wrap(f"{cls.__name__}.{name}", attribute))
    return cls
