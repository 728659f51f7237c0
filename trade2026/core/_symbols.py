"""What the per-symbol workflows (fracdiff, labels, meta-labels, RL) share: one symbol's bars at a
time, from the lake (through ``Lake.read_bars``, the one bars reader) or from a frame; saving their
rows; MLflow-safe per-symbol metric names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from trade2026.core import BAR_COLUMNS, require_columns, to_polars
from trade2026.errors import ConfigError, DataError, NotFoundError


def bars_by_symbol(
    bars: Any,
    symbols: Sequence[str] | None,
    *,
    table: str = "bars_1d",
    columns: Sequence[str] = ("close",),
    extra: Sequence[str] = (),
) -> dict[str, pl.DataFrame]:
    """Each symbol's bars sorted by time, in the order named (every symbol, sorted, when None).

    Parameters
    ----------
    bars : Lake or polars/pandas DataFrame
        A :class:`trade2026.lake.Lake` (read with ``Lake.read_bars(table, ...)``: the canonical bar
        columns plus ``extra``) or long bars with ``symbol``, ``ts``, ``columns`` and ``extra``.
    symbols : sequence of str, optional
        The symbols wanted; a symbol without bars is a NotFoundError.
    table : str
        The bars table, when ``bars`` is a Lake.
    columns, extra : sequence of str
        Columns a frame must hold; ``extra`` columns are also read from the lake.
    """
    wanted = list(dict.fromkeys(s.strip() for s in symbols or () if s.strip()))
    if hasattr(bars, "read_bars"):
        df = bars.read_bars(table, symbols=wanted or None, columns=list(dict.fromkeys([*BAR_COLUMNS, *extra])))
    else:
        df, _ = to_polars(bars, what="bars")
        require_columns(df, ["symbol", "ts", *columns, *extra], "the bars")
        if wanted:
            absent = sorted(set(wanted) - set(df["symbol"].unique().to_list()))
            if absent:
                msg = f"no bars for symbol(s) {', '.join(absent)} in the frame; pass symbols it holds"
                raise NotFoundError(msg)
            df = df.filter(pl.col("symbol").is_in(wanted))
        if df.select(pl.struct("symbol", "ts").is_duplicated().any()).item():
            msg = "the bars hold duplicate (symbol, ts) rows; keep one bar per symbol and timestamp"
            raise DataError(msg)
        df = df.sort("symbol", "ts")
    if not wanted:
        wanted = sorted(df["symbol"].unique().to_list())
    parts = {key[0]: part for key, part in df.partition_by("symbol", as_dict=True, maintain_order=True).items()}
    return {s: parts[s] for s in wanted}


def metric_key(prefix: str, symbol: str) -> str:
    """An MLflow-safe metric name (letters, digits, ``_ - . / : space``) for a per-symbol value."""
    return prefix + "_" + re.sub(r"[^\w.\-/: ]", "_", symbol)


def check_save(bars: Any, save: str | None) -> None:
    """Refuse ``save`` before any work when ``bars`` is a frame: there is no lake to write to."""
    if save and not hasattr(bars, "write"):
        msg = (
            f"save={save!r} needs the bars given as a Lake (a frame has no lake to write to); "
            "or write result.to_frame() yourself"
        )
        raise ConfigError(msg)


def save_rows(lake: Any, table: str, rows: pl.DataFrame) -> dict[str, Any]:
    """Replace what this run owns in ``table``: every row of the symbols in ``rows``, then ``rows``.

    A rerun with other settings (another d, other barriers) must not leave the previous run's rows
    beside its own: merging on (symbol, ts) kept the old rows whose timestamps the new run does not
    produce. Other symbols' rows are untouched. Returns what was written, as the commands report it:
    ``table``, ``rows``, ``inserted`` (rows written) and ``replaced`` (rows of those symbols removed).
    """
    symbols = sorted(rows["symbol"].unique().to_list()) if rows.height else []
    if not symbols:
        return {"table": table, "rows": 0, "inserted": 0, "replaced": 0}
    quoted = ", ".join("'" + str(s).replace("'", "''") + "'" for s in symbols)
    wr = lake.write(table, rows, mode="overwrite", replace_where=f"symbol IN ({quoted})")
    return {"table": table, "rows": rows.height, "inserted": wr.inserted, "replaced": wr.deleted}
