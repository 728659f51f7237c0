"""The lake sink: order events, fills, positions and P&L written in batches by a background thread.

The trading loop only appends rows to in-memory lists (no I/O on the hot path); a thread writes
them to the lake every ``interval`` seconds and on :meth:`LakeSink.close`. Tables (appended, every
row tagged with ``run_id``): ``live_orders`` (one row per status change), ``live_fills``,
``live_positions`` (per symbol at each mark), ``live_pnl`` (cash, equity, realised, unrealised, fees).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

TABLES = ("live_orders", "live_fills", "live_positions", "live_pnl")


def _schemas() -> dict[str, dict[str, Any]]:
    import polars as pl

    return {"live_orders": {"limit": pl.Float64, "reason": pl.String}}


def _ts(ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC)


class LakeSink:
    """Batches rows for the ``live_*`` tables and writes them off the trading thread.

    Parameters
    ----------
    lake : trade2026.lake.Lake
        Where the tables go.
    run_id : str
        Written in every row.
    interval : float
        Seconds between background writes.
    """

    def __init__(self, lake: Any, run_id: str, *, interval: float = 1.0) -> None:
        self.lake = lake
        self.run_id = run_id
        self.interval = interval
        self._rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.written: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="t26-lake-sink", daemon=True)
        self._thread.start()

    # producers (the trading thread) --------------------------------------------------------
    def order(self, o: Any, ts_ns: int) -> None:
        self._add(
            "live_orders",
            {
                "run_id": self.run_id,
                "ts": _ts(ts_ns),
                "client_id": o.client_id,
                "symbol": o.symbol,
                "qty": float(o.qty),
                "kind": o.kind,
                "limit": o.limit,
                "status": o.status,
                "filled": float(o.filled),
                "reason": o.reason,
            },
        )

    def fill(self, f: Any) -> None:
        self._add("live_fills", {"run_id": self.run_id, **f.to_dict(), "ts": _ts(f.ts)})

    def mark(self, portfolio: Any, ts_ns: int) -> None:
        when = _ts(ts_ns)
        for p in portfolio.positions.values():
            if p.qty != 0.0 or p.realised != 0.0:
                self._add("live_positions", {"run_id": self.run_id, "ts": when, **p.to_dict()})
        s = portfolio.summary()
        row = {k: s[k] for k in ("cash", "equity", "realised", "unrealised", "fees")}
        self._add("live_pnl", {"run_id": self.run_id, "ts": when, **row})

    def _add(self, table: str, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows[table].append(row)

    # the writer thread ---------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._write()

    def _write(self) -> None:
        import polars as pl

        schemas = _schemas()
        with self._lock:
            batches = {t: rows for t, rows in self._rows.items() if rows}
            self._rows = {t: [] for t in TABLES}
        for table, rows in batches.items():
            try:
                frame = pl.DataFrame(rows, schema_overrides=schemas.get(table), infer_schema_length=None)
                self.lake.write(table, frame, mode="append")
                self.written[table] += len(rows)
            except Exception as exc:  # keep trading; the error is reported at close
                self.error = exc

    def close(self) -> dict[str, int]:
        """Stop the thread, write what is left; returns rows written per table."""
        self._stop.set()
        self._thread.join()
        self._write()
        return dict(self.written)
