"""Reading a file in a second process while this one imports what it has read.

An import does two jobs of about the same size one after the other: parsing
the file, and mapping its records to events and appending them. On a machine
with a second core a forked child can do the first while the parent does the
second, so the import takes about as long as the longer of the two instead of
their sum. The child sends its items in batches through a pipe, each batch
one pickled list of plain tuples (``pack``; the parent rebuilds the items
with ``unpack``), and the parent yields them in the order the child read them,
so what the import does with them is exactly what it does in one process.

What the child raises comes back as the same exception, after every item read
before it (an :class:`~dealtrack.ImportFailed` keeps its file and record). A
child that dies without a word (killed, out of memory) is an ImportFailed
naming the item after which it stopped. Ctrl-C is the parent's: the child
ignores it, and whatever ends the parent's reading (Ctrl-C, an error, a
strict import stopping) stops the child when the reader is closed.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import suppress
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Generic, TypeVar

from ..errors import DealtrackError, ImportFailed

__all__ = ["ReadingProcess", "can_fork"]

T = TypeVar("T")

#: Items per message: small enough that the parent starts at once and the last batch is short, large enough
#: that a message's own cost (a pickle call, a pipe write) stays far below the items'.
BATCH = 200
#: The pipe's buffer (Linux lets a process widen it to 1 MiB): room for several batches, so a long append in the
#: parent does not stop the child.
_PIPE_BYTES = 1 << 20

_Produce = Callable[[Callable[[int], None] | None], Iterator[T]]


def can_fork() -> bool:
    """True where forking this process is safe: ``fork`` exists, not on macOS, only one thread runs, and this
    is no daemonic process (which multiprocessing lets have no children).

    (A thread holding a lock at the fork would leave the child's copy of it locked forever.)
    """
    return (
        sys.platform != "darwin"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
    )


class ReadingProcess(Generic[T]):
    """A forked child running ``produce(tick)``; iterate :meth:`batches` for ``(bytes read, items)``.

    ``tick``: given to ``produce`` when ``counting`` (else None), to call with the bytes it reads; the
    counts come back with each batch of ``batch`` items (default :data:`BATCH`). ``label`` names the file in an
    ImportFailed when the child dies.
    Use it as a context manager: leaving the block stops the child if it still runs.
    """

    def __init__(
        self,
        produce: _Produce[T],
        pack: Callable[[T], Any],
        unpack: Callable[[Any], T],
        *,
        label: str,
        counting: bool = False,
        batch: int | None = None,
    ) -> None:
        self._unpack = unpack
        self._label = label
        self._last: str | None = None  # where the last item came from, for a child that dies
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        _widen(self._reader)
        self._child = context.Process(
            target=_child, args=(produce, pack, counting, batch or BATCH, self._reader, writer), daemon=True,
            name="dealtrack-reader",
        )
        try:
            self._child.start()
        except BaseException:  # (no process: an OSError the caller can fall back from)
            self._reader.close()
            raise
        finally:
            writer.close()  # the child's copy is the only one: its end (or death) is an end of file here

    def batches(self, where: Callable[[T], str | None] = lambda _: None) -> Iterator[tuple[int, list[T]]]:
        """``(bytes read since the last batch, items)`` as the child sends them; its exceptions raised here.

        ``where(item)``: where an item is in the file, to name the last one read should the child die.
        """
        while True:
            try:
                message = self._reader.recv_bytes()
            except EOFError:
                self._child.join()
                after = "the start of the file" if self._last is None else self._last
                raise ImportFailed(self._label, f"after {after}",
                                   f"the process reading the file stopped (exit code {self._child.exitcode})") from None
            kind, read, payload = pickle.loads(message)
            if kind == "items":
                items = [self._unpack(packed) for packed in payload]
                if items:
                    self._last = where(items[-1]) or self._last
                yield read, items
            elif kind == "end":
                return
            else:  # "raise": the child's exception, and the traceback it had there
                error, trace = payload
                if not isinstance(error, DealtrackError):
                    error.add_note(f"raised in the process reading the file:\n{trace}")
                raise error

    def close(self) -> None:
        """Stop the child (if it still runs) and wait for it."""
        self._reader.close()
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()

    def __enter__(self) -> ReadingProcess[T]:  # noqa: PYI034 - Self needs Python 3.11
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def _widen(connection: Connection) -> None:
    """Widen the pipe's buffer where the system allows it (best effort: the default works, only slower)."""
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _child(
    produce: _Produce[Any], pack: Callable[[Any], Any], counting: bool, batch: int, reader: Connection,
    writer: Connection,
) -> None:
    """The child: read, send batches, then ``end`` or the exception that stopped it."""
    with suppress(ValueError):  # (only the main thread may set handlers: the forking one is, see can_fork)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops this process
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (not a handler of the parent's, inherited by the fork)
    reader.close()  # the parent's end: with it closed here, the parent's exit is a broken pipe for this one
    _own_session()
    read = 0

    def tick(count: int) -> None:
        nonlocal read
        read += count

    def send(kind: str, payload: Any) -> None:
        nonlocal read
        writer.send_bytes(pickle.dumps((kind, read, payload), pickle.HIGHEST_PROTOCOL))
        read = 0

    items: list[Any] = []
    try:
        try:
            for item in produce(tick if counting else None):
                items.append(pack(item))
                if len(items) >= batch:
                    send("items", items)
                    items = []
        except Exception as error:  # sent after every item read before it, to be raised there
            send("items", items)
            send("raise", (_portable(error), traceback.format_exc()))
            return
        send("items", items)
        send("end", None)
    except (BrokenPipeError, ConnectionResetError):  # the parent stopped reading: nothing more to do
        pass
    finally:
        writer.close()


def _own_session() -> None:
    """Run in a session of its own: where Linux groups processes by session for the scheduler
    (``sched_autogroup_enabled``), a busy machine gives this process a share of its own instead of splitting the
    importing process's share with it. (Ctrl-C and a hang-up stay the parent's: this process ignores the first and
    stops when the parent's end of the pipe closes.)"""
    with suppress(AttributeError, OSError):  # (no setsid here, or already a session leader: nothing to gain)
        os.setsid()


def _portable(error: Exception) -> Exception:
    """``error`` if it survives a pickle round trip, else a RuntimeError saying what it was."""
    try:
        pickle.loads(pickle.dumps(error, pickle.HIGHEST_PROTOCOL))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
