"""The append-only journal: checksummed records, group commit with fsync, torn-tail repair, snapshots.

A frame on disk is ``<u32 length><u32 crc32 of payload><payload>``, the payload a JSON array of
records (a single JSON object in journals written before frames held groups), each record an
object with a gap-free sequence number ``seq`` (1, 2, ...). :meth:`Journal.append` buffers a
record; :meth:`Journal.commit` writes every buffered record as one frame with one ``write`` and one
``fsync`` (group commit), so the cost of the fsync, the checksum and the encoding is shared by all
the records of one market event, and a group is on disk whole or not at all. The order path
commits an intent *before* the order is sent; what follows the sends (acknowledgements, fills) is
only written (:meth:`Journal.write`, safe from a crash of the process) and made durable by the
next commit, so a market event costs one fsync. Lost in a power cut, those records are rebuilt on
restart from the venue (asked by client order id; fills since the last journaled sequence number).

On open, the file is scanned: the first frame that is short (a write torn by a crash) or whose
checksum fails ends the journal, and the file is truncated there, so the next append continues a
clean log. A snapshot (``snapshot.json``, written to a temporary file, fsync'd and renamed) holds
the state as of a sequence number; replay then reads only the records after it.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from trade2026.errors import T26Error
from trade2026.live import _faults

_HEADER = struct.Struct("<II")
JOURNAL_FILE = "journal.log"
SNAPSHOT_FILE = "snapshot.json"


def encode(records: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    """One frame holding ``records`` (a list: a group; a dict: one record)."""
    payload = orjson.dumps(records)
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def scan(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The records of a journal's bytes, and the offset where the valid prefix (whole frames) ends."""
    out: list[dict[str, Any]] = []
    off, n, h = 0, len(data), _HEADER.size
    while off + h <= n:
        length, crc = _HEADER.unpack_from(data, off)
        end = off + h + length
        if end > n:
            break
        payload = data[off + h : end]
        if zlib.crc32(payload) != crc:
            break
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError:
            break
        if isinstance(obj, list):
            out.extend(obj)
        else:
            out.append(obj)
        off = end
    return out, off


class Journal:
    """An append-only, fsync'd log of records in directory ``path`` (created if missing).

    Parameters
    ----------
    path : str or Path
        The run's directory; holds ``journal.log`` and ``snapshot.json``.
    fsync : bool
        Call ``os.fsync`` on every commit (default). Off only for benchmarks that measure the rest.

    Attributes
    ----------
    records : list of dict
        The valid records found on open (after the snapshot's sequence number when there is one).
    snapshot : dict or None
        The snapshot found on open (its state, with its ``seq``); writing one does not keep a copy.
    truncated : int
        Bytes of torn tail cut on open (0 for a clean file).
    """

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.dir = Path(path)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.file = self.dir / JOURNAL_FILE
        self.do_fsync = fsync
        self.snapshot = self._load_snapshot()
        data = self.file.read_bytes() if self.file.exists() else b""
        records, good = scan(data)
        self.truncated = len(data) - good
        if self.truncated:
            with open(self.file, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())
        for i, r in enumerate(records, start=1):
            if r.get("seq") != i:
                msg = f"journal {self.file} has a gap or reordering at record {i} (seq {r.get('seq')})"
                raise T26Error(msg)
        self.seq = len(records)
        since = int(self.snapshot["seq"]) if self.snapshot else 0
        if since > self.seq:
            msg = f"snapshot in {self.dir} is at seq {since} but the journal ends at {self.seq}"
            raise T26Error(msg)
        self.records = records[since:]
        self._fh = open(self.file, "ab", buffering=0)  # noqa: SIM115 - held open for the journal's life
        self._buf: list[dict[str, Any]] = []
        self._unsynced = False
        self.commits = 0

    def _load_snapshot(self) -> dict[str, Any] | None:
        p = self.dir / SNAPSHOT_FILE
        if not p.exists():
            return None
        try:
            snap = orjson.loads(p.read_bytes())
        except orjson.JSONDecodeError as exc:
            msg = f"snapshot {p} is unreadable ({exc}); remove it to replay the whole journal"
            raise T26Error(msg) from None
        return snap if isinstance(snap, dict) else None

    def append(self, kind: str, **fields: Any) -> int:
        """Buffer a record of ``kind``; returns its sequence number. Durable after :meth:`commit`."""
        self.seq += 1
        fields["seq"], fields["kind"] = self.seq, kind  # ``fields`` is this call's own dict
        self._buf.append(fields)
        return self.seq

    @property
    def pending(self) -> int:
        """Records appended and not yet handed to the OS (the API's journal lag); :meth:`commit` writes
        and fsyncs them."""
        return len(self._buf)

    def write(self) -> None:
        """Hand every buffered record to the OS (one ``write``, no fsync): it survives a crash of the
        process, and the next :meth:`commit` makes it durable with the records after it."""
        if not self._buf:
            return
        data = encode(self._buf)
        self._buf = []
        if _faults.reached("journal_write"):
            self._fh.write(data[: max(len(data) // 2, 1)])
            os.fsync(self._fh.fileno())
            _faults.die()
        self._fh.write(data)
        self._unsynced = True

    def commit(self) -> None:
        """Write and fsync every buffered record (one write, one fsync: group commit), and any
        record :meth:`write` left unsynced."""
        self.write()
        if not self._unsynced:
            return
        if self.do_fsync:
            os.fsync(self._fh.fileno())
        self._unsynced = False
        self.commits += 1

    def write_snapshot(self, state: dict[str, Any]) -> None:
        """Commit, then atomically replace the snapshot with ``state`` as of the current sequence."""
        self.commit()
        p = self.dir / SNAPSHOT_FILE
        tmp = p.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(orjson.dumps({**state, "seq": self.seq}))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def read_all(self) -> Iterator[dict[str, Any]]:
        """Every committed record from the start of the file (ignores the snapshot)."""
        records, _ = scan(self.file.read_bytes())
        yield from records

    def close(self) -> None:
        self.commit()
        self._fh.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
