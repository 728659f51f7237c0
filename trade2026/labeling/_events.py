"""Event sampling and volatility targets (AFML ch. 2-3): the CUSUM filter and the daily volatility."""

from __future__ import annotations

from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError
from trade2026.labeling._series import Prices, aligned, as_prices, check_sorted, parse_span


def cusum_filter(x: Any, threshold: Any) -> Any:
    """Symmetric CUSUM filter: sample an event whenever the run of changes since the last one
    exceeds ``threshold`` in either direction (AFML snippet 2.4).

    Parameters
    ----------
    x : price-like series
        A pandas Series with a DatetimeIndex, a polars frame (``ts`` + one value column, ``close``
        if present) or a 1-D array / polars Series. The filter runs on ``x[t] - x[t-1]``, so pass log
        prices for a threshold in return units.
    threshold : float or series
        A fixed threshold (> 0), or one per bar aligned with ``x`` (e.g. :func:`daily_vol`); bars
        where it is NaN (its warm-up) produce no event and restart the runs.

    Returns
    -------
    The event times: a pandas DatetimeIndex, a polars Series ``ts``, or numpy bar positions.
    """
    from trade2026.labeling._kernels import cusum_kernel

    prices = as_prices(x, name="x")
    n = len(prices.values)
    h = aligned(threshold, prices, n, np.arange(n), name="threshold")
    if np.any(h[~np.isnan(h)] <= 0):
        msg = "threshold must be positive (a size of move in the units of x, e.g. 0.02 for log prices)"
        raise ConfigError(msg)
    mask = cusum_kernel(np.ascontiguousarray(prices.values), np.ascontiguousarray(h))
    return prices.times_out(prices.times[mask])


def _dedup_last(prices: Prices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the last bar per timestamp; return unique times, their values, and the map back."""
    t = prices.times
    if len(t) < 2:
        return t, prices.values, np.arange(len(t))
    last = np.ones(len(t), dtype=bool)
    last[:-1] = t[1:] != t[:-1]
    keep = np.flatnonzero(last)
    back = np.cumsum(np.concatenate([[True], t[1:] != t[:-1]])) - 1  # input row -> unique row
    return t[keep], prices.values[keep], back


def daily_vol(close: Any, *, span: int = 100, lookback: Any = "1d") -> Any:
    """Exponentially weighted volatility of returns over ``lookback`` (AFML snippet 3.1).

    For each bar ``t`` the return is ``close[t] / close[s] - 1`` where ``s`` is the last bar at or
    before ``t - lookback`` (so with daily bars the Tuesday return is from Monday, and the Monday one
    from Friday: gaps are spanned, not skipped). The volatility is the EWM standard deviation of
    those returns with the given ``span``. Duplicate timestamps are tolerated: the last price of a
    timestamp is used and every duplicate row gets the same value.

    Parameters
    ----------
    close : price series (pandas Series with DatetimeIndex, polars ``ts``/``close`` frame, or a
        1-D array whose lookback is then in bars).
    span : int, default 100
        EWM span in returns.
    lookback : str, timedelta or int, default "1d"
        The return horizon: a duration, or a number of bars.

    Returns
    -------
    Volatility aligned with ``close`` (NaN where no return is available yet): a pandas Series, a
    polars frame ``[ts, vol]``, or a numpy array.
    """
    prices = as_prices(close, check=False)
    out = daily_vol_array(prices, span=span, lookback=lookback)
    return _series_out(prices, out, "vol", close)


def daily_vol_array(prices: Prices, *, span: int = 100, lookback: Any = "1d") -> np.ndarray:
    """:func:`daily_vol` on converted prices; returns a float array aligned with them."""
    import pandas as pd

    if int(span) < 1:
        msg = f"span must be a positive number of returns, got {span}"
        raise ConfigError(msg)
    check_sorted(prices.times, "close", allow_duplicates=True)
    if (~np.isfinite(prices.values)).any() or (prices.values <= 0).any():
        msg = "close must hold positive, finite prices; drop or fill missing bars first"
        raise DataError(msg)
    unit, size = parse_span(lookback, name="lookback")
    if unit == "ns" and not prices.timed:
        msg = "a duration lookback needs timestamps; for a plain array give the lookback in bars (an int)"
        raise ConfigError(msg)
    times, values, back = _dedup_last(prices)
    prev = np.searchsorted(times, times - size, side="right") - 1 if unit == "ns" else np.arange(len(times)) - size
    ok = prev >= 0
    ret = np.full(len(times), np.nan)
    ret[ok] = values[ok] / values[prev[ok]] - 1.0
    vol = np.full(len(times), np.nan)
    if ok.any():
        vol[ok] = pd.Series(ret[ok]).ewm(span=int(span)).std().to_numpy()
    return vol[back]


def _series_out(prices: Prices, values: np.ndarray, name: str, original: Any) -> Any:
    if prices.kind == "pandas":
        import pandas as pd

        return pd.Series(values, index=original.index, name=name)
    if prices.kind == "polars":
        import polars as pl

        if isinstance(original, pl.Series):
            return pl.Series(name, values)
        frame = original.collect() if isinstance(original, pl.LazyFrame) else original
        return frame.select(pl.col(prices.time_col), pl.Series(name, values))
    return values
