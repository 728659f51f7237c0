"""Entry/exit signals -> target positions (an alternative to giving ``run_backtest`` positions).

The rules, per symbol, bar by bar over the symbol's own bars (all decided on bar t's close; the
engine trades the resulting target at t+1 like any other target):

1. Exits first: a long exit closes a long, a short exit closes a short; an exit of the other side
   (or of a side not held) does nothing.
2. Then entries: a long entry opens a long (+1), a short entry a short (-1), only when flat after
   step 1. An entry while a position is held is ignored (no pyramiding, no implicit reversal); a
   long exit and a short entry on one bar therefore reverse a long into a short.
3. Same-bar conflicts: an entry and an exit of the same side on one bar -> the exit wins (the entry
   is dropped); a long entry and a short entry on one bar cancel (neither opens).
4. A bar where the symbol has no price (before listing, in a gap, after delisting) ignores its
   signals and keeps the state; its target is 0, as for the library's strategies (the engine cannot
   trade there), and the position resumes on the symbol's next bar without a new entry.

Each signal is a DataFrame (polars or pandas) with symbol, ts and one value column (or a column
named like the argument: ``entries``, ``exits``, ``short_entries``, ``short_exits``), a boolean or
numeric array of shape (n_bars, n_symbols) aligned with the sorted timestamps and symbols of the
bars, or the name of a column of the bars. True or non-zero is a signal; false, zero, null, NaN and
missing rows are not; rows matching no bar are ignored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from trade2026.backtest import _kernels
from trade2026.core import Panel, bars_panel, like_input, require_columns, to_polars
from trade2026.errors import DataError

SIGNAL_NAMES = ("entries", "exits", "short_entries", "short_exits")


def _frame(signal: Any) -> pl.DataFrame:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(signal, pd.Series):
        signal = signal.to_frame()
    return to_polars(signal)[0]


def _signal_array(panel: Panel, signal: Any, name: str) -> np.ndarray:
    """A boolean (n_bars, n_symbols) array of one signal argument (``None`` -> no signal)."""
    shape = (panel.n_bars, panel.n_symbols)
    if signal is None:
        return np.zeros(shape, dtype=np.bool_)
    if isinstance(signal, str):
        values = panel.column(signal)
    elif isinstance(signal, np.ndarray):
        if signal.shape != shape:
            msg = f"{name} array must have shape {shape} (n_bars, n_symbols), got {signal.shape}"
            raise DataError(msg)
        values = signal
    else:
        return _from_frame(panel, _frame(signal), name)
    if values.dtype == np.bool_:
        return values.copy()
    try:
        v = values.astype(np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be boolean or numeric (true/non-zero = signal), got dtype {values.dtype}"
        raise DataError(msg) from None
    return np.isfinite(v) & (v != 0.0)


def _from_frame(panel: Panel, df: pl.DataFrame, name: str) -> np.ndarray:
    if not {"symbol", "ts"} <= set(df.columns):
        msg = f"{name} needs columns symbol, ts and a signal column; got {', '.join(df.columns)}"
        raise DataError(msg)
    values = [c for c in df.columns if c not in ("symbol", "ts")]
    if name in values:
        col = name
    elif len(values) == 1:
        col = values[0]
    else:
        msg = (
            f"{name} has {len(values)} value columns ({', '.join(values) or 'none'}); give one signal column "
            f"or name it {name!r}"
        )
        raise DataError(msg)
    try:
        flag = df[col].cast(pl.Float64)
    except pl.exceptions.PolarsError:
        msg = f"{name} column {col!r} must be boolean or numeric (true/non-zero = signal), got {df[col].dtype}"
        raise DataError(msg) from None
    try:
        ts = df["ts"].cast(panel.ts.dtype)
    except pl.exceptions.PolarsError:
        msg = f"{name} column ts ({df['ts'].dtype}) does not match the bars' ts ({panel.ts.dtype})"
        raise DataError(msg) from None
    sig = pl.DataFrame(
        {"symbol": df["symbol"].cast(pl.String), "ts": ts, "_v": flag.fill_nan(0.0).fill_null(0.0) != 0.0}
    ).filter(pl.col("_v"))
    ts_index = pl.DataFrame({"ts": panel.ts, "_t": np.arange(panel.n_bars)})
    sym_index = pl.DataFrame({"symbol": panel.symbols, "_k": np.arange(panel.n_symbols)})
    j = sig.join(ts_index, on="ts").join(sym_index, on="symbol")
    out = np.zeros((panel.n_bars, panel.n_symbols), dtype=np.bool_)
    out[j["_t"].to_numpy(), j["_k"].to_numpy()] = True
    return out


def signal_columns(*signals: Any) -> tuple[str, ...]:
    """The bars columns that signal arguments name (they must be pivoted with the bars)."""
    return tuple(dict.fromkeys(s for s in signals if isinstance(s, str)))


def entry_exit_targets(
    panel: Panel, entries: Any, exits: Any, short_entries: Any = None, short_exits: Any = None
) -> np.ndarray:
    """Target positions of shape (n_bars, n_symbols) in {-1, 0, 1} from the four signal arguments."""
    if entries is None and short_entries is None:
        msg = "entry/exit signals need entries or short_entries: exits alone never open a position"
        raise DataError(msg)
    args = dict(zip(SIGNAL_NAMES, (entries, exits, short_entries, short_exits), strict=True))
    le, lx, se, sx = (_signal_array(panel, s, n) for n, s in args.items())
    return _kernels.entry_exit_positions_nb(le, lx, se, sx, np.isfinite(panel.close))


def entry_exit_positions(
    bars: Any,
    entries: Any = None,
    exits: Any = None,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
) -> Any:
    """Target positions from boolean entry/exit signals per (symbol, ts).

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long bars: symbol, ts, open, high, low, close (and any signal columns named below).
    entries, exits : signal, optional
        Long entries and exits: a DataFrame[symbol, ts, <bool>], a boolean array of shape
        (n_bars, n_symbols) aligned with the sorted timestamps and symbols of ``bars``, or the
        name of a boolean column of ``bars``. ``exits=None`` holds a long until the end.
    short_entries, short_exits : signal, optional
        The same for shorts. At least one of ``entries`` and ``short_entries`` is required.

    Returns
    -------
    DataFrame[symbol, ts, position]
        One row per bar of ``bars`` (same kind, polars or pandas), position in {-1, 0, 1} decided on
        bar t's close; pass it to ``run_backtest``, which trades it at t+1. Rules (see the module
        docstring): exits apply before entries; an entry opens only when flat; an entry and an exit
        of the same side on one bar -> the exit wins; a long and a short entry on one bar cancel.
    """
    _, was_pandas = to_polars(bars)
    panel = bars_panel(bars, extra_columns=signal_columns(entries, exits, short_entries, short_exits))
    target = entry_exit_targets(panel, entries, exits, short_entries, short_exits)
    frame = panel.frame(target, "position").sort("symbol", "ts")
    return frame.to_pandas() if was_pandas else frame


def join_signal(bars: Any, signals: Any, column: str, *, what: str = "signals") -> Any:
    """The bars with ``column`` of ``signals`` joined on (symbol, ts), for ``signal:COLUMN`` strategies.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long bars (symbol, ts, open, high, low, close, ...).
    signals : polars or pandas DataFrame
        A signal or prediction table with symbol, ts and ``column`` (numeric; other columns are
        ignored). Its ts is cast to the bars' ts type.
    column : str
        The signal column; it replaces a bars column of the same name.
    what : str
        How error messages name ``signals`` (``"signal table 'preds'"``).

    Returns
    -------
    DataFrame
        ``bars`` (same kind, same rows and order) plus ``column`` as float64, null where the signal
        has no row for a bar (a null signal is flat).
    """
    df, was_pandas = to_polars(bars, what="bars")
    sig, _ = to_polars(signals, what=what)
    require_columns(df, ["symbol", "ts"], "bars")
    require_columns(sig, ["symbol", "ts", column], what)
    try:
        sig = sig.select(
            pl.col("symbol").cast(df["symbol"].dtype),
            pl.col("ts").cast(df["ts"].dtype),
            pl.col(column).cast(pl.Float64),
        )
    except pl.exceptions.PolarsError as exc:
        msg = f"{what} column {column!r} must be numeric and ts a timestamp like the bars' ({df['ts'].dtype}): {exc}"
        raise DataError(msg) from None
    if sig.select(pl.struct("symbol", "ts").is_duplicated().any()).item():
        msg = f"{what} has duplicate (symbol, ts) rows; keep one signal per bar"
        raise DataError(msg)
    out = df.drop(column, strict=False).join(sig, on=["symbol", "ts"], how="left", maintain_order="left")
    return like_input(out, was_pandas)


__all__ = ["entry_exit_positions", "entry_exit_targets", "join_signal", "signal_columns"]
