"""Portfolio inputs from the lake: a price panel, a returns window, sector groups.

Gap rule (common dates): a returns window is the last ``lookback + 1`` dates on which any of the
chosen symbols has a bar; every symbol must have a close on each of those dates. A symbol the user
named that does not is an error naming it; when the universe is "every symbol in the table",
such symbols are left out and reported in the notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError, NotFoundError

RETURN_KINDS = ("simple", "log")


@dataclass(frozen=True)
class ReturnsWindow:
    """``returns``: pandas DataFrame indexed by ts; ``excluded``: symbols left out (with reasons)."""

    returns: Any
    excluded: dict[str, str] = field(default_factory=dict)


def load_prices(
    lake: Any,
    symbols: Sequence[str] | None = None,
    *,
    table: str = "bars_1d",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    universe: str | Sequence[str] | None = None,
) -> Any:
    """Closes as a wide pandas DataFrame (index ts, one column per symbol, NaN where no bar).

    The bars come from :meth:`trade2026.lake.Lake.read_bars`: ``symbols`` or ``universe``
    (``"sector:NAME"``, ``"AAA,BBB"`` or a list) pick the columns (every symbol in ``table`` when
    neither is given), ``start``/``end`` the window (inclusive). A named symbol without bars in
    the window is a NotFoundError.
    """
    df = lake.read_bars(table, symbols=symbols or None, universe=universe, start=start, end=end, columns=["close"])
    wide = df.pivot(on="symbol", index="ts", values="close").sort("ts")
    named = list(dict.fromkeys(symbols)) if symbols else None
    cols = named or sorted(c for c in wide.columns if c != "ts")
    pdf = wide.select(cols).to_pandas()
    pdf.index = wide["ts"].to_pandas()
    pdf.index.name = "ts"
    return pdf


def to_returns(prices: Any, kind: str = "simple") -> Any:
    """Close-to-close returns of a price panel (first row dropped)."""
    if kind not in RETURN_KINDS:
        msg = f"unknown return kind {kind!r}; use simple or log"
        raise ConfigError(msg)
    p = prices.astype(float)
    if (p <= 0).any().any():
        bad = [c for c in p.columns if (p[c] <= 0).any()]
        msg = f"non-positive closes for {', '.join(bad)}; cannot compute returns"
        raise DataError(msg)
    r = np.log(p).diff() if kind == "log" else p / p.shift(1) - 1.0
    return r.iloc[1:]


def returns_window(
    prices: Any,
    *,
    lookback: int,
    kind: str = "simple",
    strict: bool = True,
) -> ReturnsWindow:
    """The last ``lookback`` returns of ``prices`` under the common-dates rule.

    ``strict``: a symbol short of history is an error (the user named it); otherwise it is left
    out and listed in ``excluded``.
    """
    if lookback < 3:
        msg = f"lookback must be at least 3 periods, got {lookback}"
        raise ConfigError(msg)
    win = prices.iloc[-(lookback + 1) :]
    have = win.notna().sum()
    need = lookback + 1
    short = {str(s): int(have[s]) for s in win.columns if have[s] < need}
    if short and strict:
        listing = ", ".join(f"{s} ({n} of {need} closes)" for s, n in short.items())
        msg = (
            f"not enough history for a {lookback}-period lookback ending {_date(win.index[-1])}: {listing}; "
            "shorten lookback, move end, or drop those symbols"
        )
        raise DataError(msg)
    if len(win) < need:
        msg = f"only {len(win)} dates of bars, a {lookback}-period lookback needs {need}"
        raise DataError(msg)
    keep = [c for c in win.columns if str(c) not in short]
    if len(keep) < 2:
        msg = f"fewer than 2 symbols have {need} closes in the window ending {_date(win.index[-1])}"
        raise DataError(msg)
    excluded = {s: f"{n} of {need} closes in the window" for s, n in short.items()}
    return ReturnsWindow(to_returns(win[keep], kind), excluded)


def load_returns(
    lake: Any,
    symbols: Sequence[str] | None = None,
    *,
    lookback: int = 252,
    kind: str = "simple",
    table: str = "bars_1d",
    end: dt.datetime | None = None,
    universe: str | Sequence[str] | None = None,
) -> ReturnsWindow:
    """The returns window for ``symbols`` or ``universe`` (every symbol in ``table`` when neither).

    Named symbols (``symbols``, or a list universe) must have the whole window (strict); the
    members of a sector, like every symbol of the table, are left out when short and listed in
    ``excluded``.
    """
    prices = load_prices(lake, symbols, table=table, end=end, universe=universe)
    return returns_window(prices, lookback=lookback, kind=kind, strict=names_symbols(symbols, universe))


def names_symbols(symbols: Sequence[str] | None, universe: str | Sequence[str] | None) -> bool:
    """Whether the caller named its symbols (a list), rather than a whole table or a sector."""
    if symbols:
        return True
    if isinstance(universe, str):
        return bool(universe.strip()) and not universe.strip().lower().startswith("sector:")
    return bool(universe)


def load_groups(lake: Any, symbols: Sequence[str], *, column: str = "sector") -> dict[str, str]:
    """Symbol -> group (default the sector) from the lake's ``symbols`` table."""
    import polars as pl

    if not lake.exists("symbols"):
        msg = (
            "group bounds need the lake table 'symbols' (symbol, sector); write it with `t26 data sample` or ingest one"
        )
        raise NotFoundError(msg)
    meta = lake.read("symbols", columns=["symbol", column]).filter(pl.col("symbol").is_in(list(symbols)))
    groups = {str(s): str(g) for s, g in meta.iter_rows() if g is not None}
    missing = [s for s in symbols if s not in groups]
    if missing:
        msg = f"no {column} in the 'symbols' table for: {', '.join(missing)}"
        raise DataError(msg)
    return groups


def _date(ts: Any) -> str:
    return str(ts.date()) if hasattr(ts, "date") else str(ts)
