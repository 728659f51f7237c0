"""A reference to a slice of a lake table that a worker reads itself.

Fan-out tasks (sweep chunks, Monte Carlo reruns) carry a :class:`LakeSlice` instead of the frame:
a few hundred bytes per task however large the data, and each worker process reads the slice from
the lake once (a per-process cache) instead of the driver pickling the frame into every task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from trade2026.core import Panel
    from trade2026.lake._lake import Lake

CACHE_SLICES = 4  # slices a worker process keeps in memory (frames and panels each)


@dataclass(frozen=True)
class LakeSlice:
    """Rows of one Delta table version: ``symbols`` in ``start <= ts <= end``, ``columns`` of them.

    Parameters
    ----------
    root : str
        The lake root (a local path or an object-store URI such as ``s3://bucket/lake``).
    table : str
        A bars table (``symbol, ts, open, high, low, close, volume``).
    version : int, optional
        The Delta version to read. :meth:`pinned` (which the fan-out functions call) fixes an unset
        version to the table's current one on the driver, so every worker reads the same rows even
        while writers commit.
    symbols : tuple of str, optional
        The symbols to read; every symbol when None.
    columns : tuple of str, optional
        Columns beyond the canonical bar columns (signals).
    start, end : datetime, optional
        The window, both ends inclusive.
    storage_options : tuple of (key, value), optional
        deltalake storage options. Left empty, each worker takes them from its own environment
        (``AWS_ENDPOINT_URL``, ``AWS_REGION``, keys, ``AWS_ALLOW_HTTP``) as :class:`Lake` does, so no
        credential travels inside a task.

    Notes
    -----
    The frame is read with the same sort (symbol, ts) as :meth:`Lake.read_bars`, so a task resolving
    the slice sees exactly the frame the driver would have shipped.
    """

    root: str
    table: str = "bars_1d"
    version: int | None = None
    symbols: tuple[str, ...] | None = None
    columns: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    storage_options: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @classmethod
    def of(
        cls,
        lake: Lake,
        table: str = "bars_1d",
        *,
        symbols: Any = None,
        columns: Any = (),
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        version: int | None = None,
    ) -> LakeSlice:
        """The slice of ``lake``'s ``table``, pinned at ``version`` (default: the current one).

        ``lake.storage_options``, when it has explicit ones, travel with the slice (and so inside every
        task); a lake configured from the environment (``Lake()``, the CLI's) ships none.
        """
        opts = tuple(sorted((lake.storage_options or {}).items()))
        syms = None if symbols is None else tuple(symbols)
        out = cls(str(lake.root), table, version, syms, tuple(columns), start, end, opts)
        return out.pinned()

    def lake(self) -> Lake:
        from trade2026.lake._lake import Lake

        return Lake(root=self.root, storage_options=dict(self.storage_options) or None)

    def pinned(self) -> LakeSlice:
        """This slice with ``version`` fixed (the table's current version when unset)."""
        if self.version is not None:
            return self
        return replace(self, version=int(self.lake()._table(self.table).version()))

    def read(self) -> pl.DataFrame:
        """The slice as a long polars frame sorted by (symbol, ts) (not cached)."""
        return _read(self.pinned())

    def frame(self) -> pl.DataFrame:
        """:meth:`read`, cached in this process (treat it as read-only)."""
        return _frame(self.pinned())

    def panel(self) -> Panel:
        """The slice as a bars :class:`~trade2026.core.Panel` (``columns`` pivoted along), cached in
        this process (treat it as read-only)."""
        return _panel(self.pinned())


def _read(s: LakeSlice) -> pl.DataFrame:
    import polars as pl

    from trade2026.errors import DataError
    from trade2026.lake._schema import BAR_COLUMNS

    lf = pl.scan_delta(s.lake()._table(s.table, s.version))
    expr = pl.lit(True)
    if s.symbols is not None:
        expr &= pl.col("symbol").is_in(list(s.symbols))
    if s.start is not None:
        expr &= pl.col("ts") >= s.start
    if s.end is not None:
        expr &= pl.col("ts") <= s.end
    cols = list(dict.fromkeys([*BAR_COLUMNS, *s.columns]))
    df = lf.filter(expr).select(cols).sort("symbol", "ts").collect()
    if df.height == 0:
        msg = f"the slice of {s.table!r} at version {s.version} holds no bars (symbols {s.symbols}, {s.start}..{s.end})"
        raise DataError(msg)
    return df if isinstance(df, pl.DataFrame) else pl.DataFrame(df)


@lru_cache(maxsize=CACHE_SLICES)
def _frame(s: LakeSlice) -> pl.DataFrame:
    return _read(s)


@lru_cache(maxsize=CACHE_SLICES)
def _panel(s: LakeSlice) -> Panel:
    from trade2026.core import bars_panel

    return bars_panel(_read(s), extra_columns=s.columns)
