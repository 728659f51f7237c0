"""Writes that span several tables: all of them land, or none is seen.

Delta commits one table at a time. A workflow that replaces its rows in several tables (a PRISM run
writes eight) and is killed part way would leave some tables with the new rows and some with the
old. :meth:`Lake.transaction` makes such a write all-or-nothing for the rows it owns (those matching
its predicate):

1. It takes an exclusive lock per key (e.g. per symbol) so two writers of the same rows run one after
   the other (local lakes: ``flock`` on ``<lake>/_t26_txn/<name>.<key>.lock``, released by the kernel
   when the holder dies).
2. It writes an undo record ``<lake>/_t26_txn/<id>.json``: the predicate and each table's version
   before the write.
3. The caller writes its tables. On success the record is removed; on an exception it rolls back at
   once.

A record whose writer is gone (SIGKILL, power loss) is rolled back by the next reader or writer of
any of its tables: each table's rows matching the predicate are put back as they were at the
recorded version (rows of other keys written meanwhile are left alone), tables the write created lose
those rows. While a writer is still at work, readers see each of its tables as of the version before
the write. So no reader ever sees the rows of an incomplete write.

On an object store there is no ``flock``: writers of the same keys are not serialised, and a record
counts as abandoned when its writer's process is gone (same host) or it is older than
``LEASE_SECONDS`` (another host).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

DIR = "_t26_txn"
LEASE_SECONDS = 6 * 3600.0

# This process's transactions in flight (record ids) and the lock files it holds (name -> fd).
_ACTIVE: set[str] = set()
_HELD: dict[str, int] = {}
_BUSY = [0]  # > 0 while this process rolls back or settles: its own reads and writes skip settling


@contextlib.contextmanager
def _busy() -> Iterator[None]:
    _BUSY[0] += 1
    try:
        yield
    finally:
        _BUSY[0] -= 1


def busy() -> bool:
    return _BUSY[0] > 0


@dataclass(frozen=True)
class Undo:
    """One transaction's undo record."""

    id: str
    predicate: str
    versions: dict[str, int | None]  # table -> version before the write (None: the write created it)
    locks: tuple[str, ...]
    host: str
    pid: int
    started: float

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "predicate": self.predicate,
                "versions": self.versions,
                "locks": list(self.locks),
                "host": self.host,
                "pid": self.pid,
                "started": self.started,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Undo:
        d = json.loads(text)
        return cls(
            d["id"], d["predicate"], dict(d["versions"]), tuple(d["locks"]), d["host"], int(d["pid"]), d["started"]
        )


def _lock_name(name: str, key: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else f"%{ord(c):02x}" for c in key)
    return f"{name}.{safe}"


class TxnStore:
    """The undo records and locks of one lake (a local directory or an object-store prefix)."""

    def __init__(self, lake: Any) -> None:
        self.lake = lake
        self.base = f"{lake.root.rstrip('/')}/{DIR}"
        self.local = lake._local
        self._fs: Any = None

    # -- storage -------------------------------------------------------------------------------
    def _dir(self) -> str:
        return self.base.removeprefix("file://")

    def _filesystem(self) -> tuple[Any, str]:
        if self._fs is None:
            import pyarrow.fs as pafs

            self._fs = pafs.FileSystem.from_uri(self.base)
        return self._fs

    def records(self) -> list[Undo]:
        if self.local:
            try:
                names = sorted(n for n in os.listdir(self._dir()) if n.endswith(".json"))
            except FileNotFoundError:
                return []
            out = []
            for n in names:
                with (
                    contextlib.suppress(FileNotFoundError, ValueError, KeyError),
                    open(os.path.join(self._dir(), n)) as f,
                ):
                    out.append(Undo.from_json(f.read()))
            return out
        import pyarrow.fs as pafs

        fs, path = self._filesystem()
        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        out = []
        for info in infos:
            if info.type == pafs.FileType.File and info.base_name.endswith(".json"):
                with contextlib.suppress(OSError, ValueError, KeyError), fs.open_input_stream(info.path) as f:
                    out.append(Undo.from_json(f.read().decode()))
        return out

    def put(self, rec: Undo) -> None:
        if self.local:
            os.makedirs(self._dir(), exist_ok=True)
            tmp = os.path.join(self._dir(), f".{rec.id}.tmp")
            with open(tmp, "w") as f:
                f.write(rec.to_json())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, os.path.join(self._dir(), f"{rec.id}.json"))
            return
        fs, path = self._filesystem()
        with fs.open_output_stream(f"{path}/{rec.id}.json") as f:
            f.write(rec.to_json().encode())

    def remove(self, rec: Undo) -> None:
        if self.local:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self._dir(), f"{rec.id}.json"))
            return
        fs, path = self._filesystem()
        with contextlib.suppress(OSError):
            fs.delete_file(f"{path}/{rec.id}.json")

    # -- locks ---------------------------------------------------------------------------------
    def acquire(self, names: Sequence[str], *, block: bool = True) -> list[str]:
        """Take the locks ``names`` (sorted, so two writers never deadlock); returns those newly
        taken. With ``block=False`` returns ``[]`` (taking none) when one is held elsewhere."""
        if not self.local:
            return []
        import fcntl

        os.makedirs(self._dir(), exist_ok=True)
        taken: list[str] = []
        for name in sorted(set(names)):
            if name in _HELD:
                continue
            fd = os.open(os.path.join(self._dir(), f"{name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                self.release(taken)
                return []
            _HELD[name] = fd
            taken.append(name)
        return taken

    def release(self, names: Sequence[str]) -> None:
        for name in names:
            fd = _HELD.pop(name, None)
            if fd is not None:
                os.close(fd)  # closing the descriptor drops the flock

    def abandoned(self, rec: Undo) -> bool:
        """Whether ``rec``'s writer is gone (then its write is rolled back)."""
        if rec.id in _ACTIVE:
            return False
        if self.local and rec.locks:
            taken = self.acquire(rec.locks, block=False)
            if not taken and not all(n in _HELD for n in rec.locks):
                return False  # a live writer holds the locks
            self.release(taken)
            return True
        if rec.host == socket.gethostname():
            try:
                os.kill(rec.pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
            return False
        return time.time() - rec.started > LEASE_SECONDS


def rollback(lake: Any, rec: Undo) -> None:
    """Put every table of ``rec`` back as it was before the write, for the rows of its predicate."""
    import polars as pl

    with _busy():
        _rollback(lake, rec, pl)


def _rollback(lake: Any, rec: Undo, pl: Any) -> None:
    for table, version in rec.versions.items():
        if not lake.exists(table):
            continue
        if version is None:
            lake.delete(table, rec.predicate)
            continue
        old = lake.read(table, version=version, filters=pl.sql_expr(rec.predicate))
        if old.height:
            lake.write(table, old, mode="overwrite", replace_where=rec.predicate, check_keys=False)
        else:
            lake.delete(table, rec.predicate)


def settle(lake: Any, store: TxnStore, tables: Sequence[str] | None = None) -> dict[str, int]:
    """Roll back abandoned writes touching ``tables`` (all when None); returns, for each table a live
    writer is still changing, the version to read instead (the earliest before any such write)."""
    pinned: dict[str, int] = {}
    if busy():
        return pinned
    with _busy():
        for rec in store.records():
            _settle_one(lake, store, rec, tables, pinned)
    return pinned


def _settle_one(lake: Any, store: TxnStore, rec: Undo, tables: Sequence[str] | None, pinned: dict[str, int]) -> None:
    import polars as pl

    if rec.id in _ACTIVE or (tables is not None and not set(tables) & set(rec.versions)):
        return
    if not store.abandoned(rec):
        for t, v in rec.versions.items():
            if v is not None and (tables is None or t in tables):
                pinned[t] = min(v, pinned.get(t, v))
        return
    taken = store.acquire(rec.locks, block=False)
    try:
        if rec.locks and not all(n in _HELD for n in rec.locks):
            return  # another process took the locks meanwhile (and settles the record itself)
        if not any(r.id == rec.id for r in store.records()):
            return  # rolled back by someone else
        _rollback(lake, rec, pl)
        store.remove(rec)
    finally:
        store.release(taken)


@contextlib.contextmanager
def transaction(lake: Any, name: str, tables: Sequence[str], predicate: str, keys: Sequence[str]) -> Iterator[Undo]:
    """See :meth:`trade2026.lake.Lake.transaction`."""
    store = TxnStore(lake)
    locks = [_lock_name(name, k) for k in keys]
    taken = store.acquire(locks)
    try:
        lake._settle(tables, force=True)
        versions: dict[str, int | None] = {}
        for t in tables:
            versions[t] = lake._table(t).version() if lake.exists(t) else None
        rec = Undo(uuid.uuid4().hex, predicate, versions, tuple(locks), socket.gethostname(), os.getpid(), time.time())
        store.put(rec)
        _ACTIVE.add(rec.id)
        try:
            yield rec
        except BaseException:
            _ACTIVE.discard(rec.id)
            rollback(lake, rec)
            store.remove(rec)
            raise
        _ACTIVE.discard(rec.id)
        store.remove(rec)
    finally:
        store.release(taken)
