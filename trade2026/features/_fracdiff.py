"""Fractional differentiation (AFML ch. 5): weights, the FFD and expanding windows, input handling.

The weights of ``(1 - B)^d`` follow the recursion ``w_0 = 1, w_k = -w_{k-1} (d - k + 1) / k``.
The fixed-width window (FFD) keeps the weights while ``|w_k| >= thresh`` (or a fixed ``window`` of
them) and applies the same window at every point; the expanding window applies all weights back to
the first observation and skips the first points, where the relative weight loss exceeds
``thresh``. Results are aligned with the input, NaN during the warm-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from trade2026.errors import ConfigError, DataError
from trade2026.features._convolve import expanding_array, ffd_array

Method = Literal["ffd", "expanding"]

#: default weight threshold of the fixed-width window (AFML 5.5)
FFD_THRESH = 1e-5
#: default weight-loss threshold of the expanding window (AFML snippet 5.1 uses 0.01)
EXPANDING_THRESH = 1e-2
#: default weight threshold of the d search: 1e-4 keeps every window for d >= 0.05 under ~500 bars
SEARCH_THRESH = 1e-4
_MAX_WEIGHTS = 10_000_000


# -- weights -------------------------------------------------------------------------------------
def check_d(d: Any) -> float:
    try:
        value = float(d)
    except (TypeError, ValueError):
        msg = f"d must be a number in [0, 2], got {d!r}"
        raise ConfigError(msg) from None
    if not (0.0 <= value <= 2.0) or math.isnan(value):
        msg = f"d must be in [0, 2] (0 = the series itself, 1 = first differences), got {value:g}"
        raise ConfigError(msg)
    return value


def fracdiff_weights(d: float, *, thresh: float | None = FFD_THRESH, window: int | None = None) -> np.ndarray:
    """The weights w_0, w_1, ... of ``(1 - B)^d`` for a fixed-width window.

    Parameters
    ----------
    d : float
        Order of differentiation, in [0, 2].
    thresh : float, default 1e-5
        Keep weights while ``|w_k| >= thresh`` (the first smaller one ends the window).
    window : int, optional
        Keep exactly this many weights instead (overrides ``thresh``).

    Returns
    -------
    numpy.ndarray of shape (width,)
        ``w_0 = 1`` applies to the newest observation. For integer ``d`` the recursion reaches an
        exact zero, so d=0 gives ``[1]`` and d=1 gives ``[1, -1]``.
    """
    d = check_d(d)
    if window is not None:
        if int(window) < 1:
            msg = f"window must be a positive number of weights, got {window}"
            raise ConfigError(msg)
        return _weights_n(d, int(window))
    if thresh is None or not (0.0 < float(thresh) < 1.0):
        msg = f"thresh must be in (0, 1), got {thresh!r}; 1e-5 is the usual FFD threshold"
        raise ConfigError(msg)
    # the recursion in growing vectorised chunks, until the first |w_k| < thresh
    chunks = [np.ones(1)]
    start, size = 1, 1024
    while start < _MAX_WEIGHTS:
        k = np.arange(start, min(start + size, _MAX_WEIGHTS), dtype=np.float64)
        w = chunks[-1][-1] * np.cumprod((k - 1.0 - d) / k)
        small = np.abs(w) < thresh
        if small.any():
            chunks.append(w[: int(np.argmax(small))])
            break
        chunks.append(w)
        start, size = start + size, size * 2
    return np.concatenate(chunks)


def _weights_n(d: float, n: int) -> np.ndarray:
    """The first ``n`` weights: ``w_k = w_{k-1} (k - 1 - d) / k`` as one cumulative product."""
    k = np.arange(1, n, dtype=np.float64)
    return np.concatenate([np.ones(1), np.cumprod((k - 1.0 - d) / k)])


def _expanding_skip(w: np.ndarray, thresh: float) -> int:
    """Points to skip: those ``l`` whose weight loss ``sum_{k>l}|w_k| / sum_k |w_k|`` > thresh."""
    total = np.abs(w).sum()
    if total == 0:
        return 0
    tail = (total - np.cumsum(np.abs(w))) / total  # tail[l] = loss when only w_0..w_l are used
    return int(np.count_nonzero(tail > thresh))


# -- input handling ------------------------------------------------------------------------------
@dataclass
class _Matrix:
    """Numeric columns of the input as a float matrix plus how to rebuild the caller's kind."""

    values: np.ndarray  # (n_obs, n_cols)
    names: list[str]
    rebuild: Any = field(repr=False)


def _check_time(values: Any, label: str) -> None:
    arr = np.asarray(values)
    if arr.size < 2:
        return
    if arr.dtype.kind == "M" or arr.dtype == object:
        arr = arr.astype("datetime64[ns]").astype(np.int64)
    diffs = np.diff(arr)
    if (diffs == 0).any():
        i = int(np.flatnonzero(diffs == 0)[0])
        msg = (
            f"duplicate timestamp in {label} at position {i + 1} ({values[i + 1]}); "
            "keep one row per timestamp (e.g. the last) before differencing"
        )
        raise DataError(msg)
    if (diffs < 0).any():
        i = int(np.flatnonzero(diffs < 0)[0])
        msg = f"timestamps in {label} are not sorted (position {i + 1}); sort by time first"
        raise DataError(msg)


def as_matrix(x: Any) -> _Matrix:
    mod = type(x).__module__.split(".")[0]
    if mod == "pandas":
        import pandas as pd

        if isinstance(x.index, pd.DatetimeIndex):
            _check_time(x.index.asi8, "the index")
        if isinstance(x, pd.Series):
            vals = x.to_numpy(dtype=np.float64, na_value=np.nan).reshape(-1, 1)
            return _Matrix(vals, [str(x.name)], lambda out: pd.Series(out[:, 0], index=x.index, name=x.name))
        numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])]
        for c in x.columns:
            if pd.api.types.is_datetime64_any_dtype(x[c]):
                _check_time(x[c].to_numpy(), f"column {c!r}")
        vals = x[numeric].to_numpy(dtype=np.float64, na_value=np.nan)

        def rebuild_pd(out: np.ndarray) -> Any:
            res = x.copy()
            for j, c in enumerate(numeric):
                res[c] = out[:, j]
            return res

        return _Matrix(vals, [str(c) for c in numeric], rebuild_pd)
    if mod == "polars":
        import polars as pl

        if isinstance(x, pl.Series):
            vals = x.cast(pl.Float64).to_numpy().reshape(-1, 1)
            return _Matrix(vals, [x.name], lambda out: pl.Series(x.name, out[:, 0]))
        if isinstance(x, pl.LazyFrame):
            x = x.collect()
        if "symbol" in x.columns and x["symbol"].n_unique() > 1:
            msg = (
                "the frame holds several symbols in long form; filter to one symbol or pivot to "
                "one column per symbol (df.pivot(on='symbol', index='ts', values='close'))"
            )
            raise DataError(msg)
        numeric = [c for c, t in x.schema.items() if t.is_numeric()]
        for c, t in x.schema.items():
            if t.is_temporal():
                _check_time(x[c].to_numpy(), f"column {c!r}")
        vals = x.select(pl.col(numeric).cast(pl.Float64)).to_numpy() if numeric else np.empty((x.height, 0))

        def rebuild_pl(out: np.ndarray) -> Any:
            return x.with_columns(pl.Series(c, out[:, j]) for j, c in enumerate(numeric))

        return _Matrix(np.asarray(vals, dtype=np.float64), numeric, rebuild_pl)
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        return _Matrix(arr.reshape(-1, 1), ["x"], lambda out: out[:, 0])
    if arr.ndim == 2:
        return _Matrix(arr, [f"x{j}" for j in range(arr.shape[1])], lambda out: out)
    msg = f"expected a series or a 2-D frame/array, got an array with {arr.ndim} dimensions"
    raise DataError(msg)


def valid_span(col: np.ndarray, name: str) -> tuple[int, int]:
    """First and one-past-last non-NaN positions; NaNs inside that span are an error."""
    ok = ~np.isnan(col)
    if not ok.any():
        return 0, 0
    first = int(np.argmax(ok))
    last = len(col) - int(np.argmax(ok[::-1]))
    inner = ~ok[first:last]
    if inner.any():
        i = first + int(np.argmax(inner))
        msg = (
            f"column {name!r} has a NaN inside the series (position {i}); fractional differences "
            "need a gap-free series: fill it (e.g. forward-fill prices) or drop those rows"
        )
        raise DataError(msg)
    if np.isinf(col[first:last]).any():
        msg = f"column {name!r} holds infinite values; remove them before differencing"
        raise DataError(msg)
    return first, last


# -- fracdiff ------------------------------------------------------------------------------------
def fracdiff(
    x: Any,
    d: float,
    *,
    method: Method = "ffd",
    thresh: float | None = None,
    window: int | None = None,
) -> Any:
    """Fractionally differentiate a series, or every numeric column of a frame.

    Parameters
    ----------
    x : pandas/polars Series or DataFrame, or numpy array of shape (n_obs,) or (n_obs, n_cols)
        Observations in time order (e.g. log prices). Leading and trailing NaNs (a symbol listed
        late) are allowed; NaNs inside a column are an error. In a frame, non-numeric columns
        (timestamps, symbol) pass through unchanged; timestamps must be sorted and unique.
    d : float
        Order in [0, 2]: 0 returns the series, 1 its first differences.
    method : {"ffd", "expanding"}
        Fixed-width window (stationary-friendly, AFML 5.5) or expanding window (AFML 5.4).
    thresh : float, optional
        FFD: keep weights while ``|w_k| >= thresh`` (default 1e-5). Expanding: skip points whose
        relative weight loss exceeds ``thresh`` (default 0.01).
    window : int, optional
        FFD only: a fixed number of weights instead of ``thresh``.

    Returns
    -------
    The same kind as ``x``, aligned with it: NaN during the warm-up (the first width-1 points of
    each column's valid span for FFD).

    Notes
    -----
    AFML eq. 5.1-5.3. Long FFD windows (384 weights or more, on series long enough to pay for it)
    and expanding windows over 384 points or more are computed as FFT convolutions; they match the
    direct sums to rounding (about 1e-15 relative to the series' variation; see ``_convolve``).
    """
    d = check_d(d)
    if method not in ("ffd", "expanding"):
        msg = f"method must be 'ffd' or 'expanding', got {method!r}"
        raise ConfigError(msg)
    mat = as_matrix(x)
    out = np.full(mat.values.shape, np.nan)
    if method == "ffd":
        w = fracdiff_weights(d, thresh=FFD_THRESH if thresh is None else thresh, window=window)
        spans: dict[tuple[int, int], list[int]] = {}  # columns sharing a valid span go in one batch
        for j, name in enumerate(mat.names):
            first, last = valid_span(mat.values[:, j], name)
            if last == first:
                continue
            if last - first < len(w):
                msg = _too_short(name, last - first, len(w), d, thresh, window)
                raise DataError(msg)
            spans.setdefault((first, last), []).append(j)
        for (first, last), cols in spans.items():
            if cols == list(range(cols[0], cols[-1] + 1)):  # a slice, not a copy by fancy indexing
                block = slice(cols[0], cols[-1] + 1)
                out[first:last, block] = ffd_array(mat.values[first:last, block], w)
            else:
                out[first:last, cols] = ffd_array(mat.values[first:last, cols], w)
    else:
        if window is not None:
            msg = "window applies to method='ffd' only; the expanding window uses all history"
            raise ConfigError(msg)
        t = EXPANDING_THRESH if thresh is None else float(thresh)
        if not 0.0 < t < 1.0:
            msg = f"thresh must be in (0, 1), got {t:g}; the expanding window's usual value is 0.01"
            raise ConfigError(msg)
        for j, name in enumerate(mat.names):
            first, last = valid_span(mat.values[:, j], name)
            n = last - first
            if n == 0:
                continue
            w = _weights_n(d, n)
            skip = _expanding_skip(w, t)
            if skip >= n:
                msg = (
                    f"column {name!r}: with thresh={t:g} every one of its {n} points loses too much "
                    "weight; raise thresh (e.g. 0.01) or use method='ffd'"
                )
                raise DataError(msg)
            out[first:last, j] = expanding_array(mat.values[first:last, j].reshape(-1, 1), w, skip)[:, 0]
    return mat.rebuild(out)


def _too_short(name: str, n: int, width: int, d: float, thresh: float | None, window: int | None) -> str:
    how = f"window={window}" if window is not None else f"thresh={thresh if thresh is not None else FFD_THRESH:g}"
    hint = ""
    if window is None:
        for t in (1e-4, 1e-3, 1e-2):
            if t > (thresh or FFD_THRESH) and len(fracdiff_weights(d, thresh=t)) <= n:
                hint = f" (thresh={t:g} gives a window of {len(fracdiff_weights(d, thresh=t))})"
                break
    return (
        f"series {name!r} has {n} observations, shorter than the FFD window of {width} weights "
        f"(d={d:g}, {how}); use a longer history, or a larger thresh / smaller window{hint}"
    )
