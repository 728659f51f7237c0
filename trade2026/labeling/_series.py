"""Turn the caller's price series and event lists into numpy arrays, and results back into their kind.

A price series is a pandas Series with a DatetimeIndex, a polars DataFrame with one temporal column
(``ts``) and a ``close`` column (or exactly one other numeric column), or a 1-D numpy array / polars
Series whose "times" are bar positions 0..n-1. Times become int64 (nanoseconds since the epoch, or
bar positions) so the kernels see plain arrays.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from trade2026.errors import ConfigError, DataError

Kind = Literal["pandas", "polars", "numpy"]


@dataclass
class Prices:
    """A price series as arrays: ``times`` int64 (ns or bar positions) and float ``values``."""

    times: np.ndarray
    values: np.ndarray
    kind: Kind
    timed: bool  # True when times are timestamps (ns), False for bar positions
    tz: Any = None
    name: str = "close"
    time_col: str = "ts"
    time_unit: str = "ns"

    def times_out(self, t: np.ndarray) -> Any:
        """int64 times to the caller's representation (numpy: positions)."""
        if not self.timed:
            return np.asarray(t, dtype=np.int64)
        stamps = np.asarray(t, dtype=np.int64).astype("datetime64[ns]")
        if self.kind == "pandas":
            import pandas as pd

            idx = pd.DatetimeIndex(stamps)
            return idx.tz_localize("UTC").tz_convert(self.tz) if self.tz is not None else idx
        import polars as pl

        s = pl.Series(self.time_col, stamps).cast(pl.Datetime(self.time_unit))  # type: ignore[arg-type]
        return s.dt.replace_time_zone("UTC").dt.convert_time_zone(self.tz) if self.tz else s


def kind_of(obj: Any) -> Kind:
    mod = type(obj).__module__.split(".")[0]
    if mod == "pandas":
        return "pandas"
    if mod == "polars":
        return "polars"
    return "numpy"


def _dt_to_ns(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]").astype(np.int64)
    return arr.astype(np.int64)


def as_prices(close: Any, *, name: str = "close", check: bool = True) -> Prices:
    """Validate and convert a price series (see the module docstring for the accepted forms)."""
    kind = kind_of(close)
    if kind == "pandas":
        import pandas as pd

        if isinstance(close, pd.DataFrame):
            if close.shape[1] != 1:
                msg = f"{name} must be a Series (or a one-column frame), got columns {list(close.columns)[:6]}"
                raise DataError(msg)
            close = close.iloc[:, 0]
        if not isinstance(close.index, pd.DatetimeIndex):
            msg = f"{name} needs a DatetimeIndex (set the timestamps as the index), got {type(close.index).__name__}"
            raise DataError(msg)
        idx = close.index
        tz = idx.tz
        times = (idx.tz_convert("UTC").tz_localize(None) if tz is not None else idx).as_unit("ns").asi8
        values = close.to_numpy(dtype=np.float64, na_value=np.nan)
        p = Prices(times.astype(np.int64), values, "pandas", True, tz, str(close.name or name))
    elif kind == "polars":
        import polars as pl

        if isinstance(close, pl.LazyFrame):
            close = close.collect()
        if isinstance(close, pl.Series):
            values = close.cast(pl.Float64).to_numpy()
            p = Prices(np.arange(len(values), dtype=np.int64), values, "polars", False, None, close.name)
        else:
            if "symbol" in close.columns and close["symbol"].n_unique() > 1:
                msg = f"{name} holds several symbols; filter to one symbol first"
                raise DataError(msg)
            tcols = [c for c, t in close.schema.items() if t.is_temporal()]
            if len(tcols) != 1:
                msg = f"{name} needs exactly one timestamp column (e.g. ts), found {tcols or 'none'}"
                raise DataError(msg)
            tcol = tcols[0]
            if "close" in close.columns:
                vcol = "close"
            else:
                nums = [c for c, t in close.schema.items() if t.is_numeric()]
                if len(nums) != 1:
                    msg = f"{name} needs a 'close' column or exactly one numeric column, found {nums}"
                    raise DataError(msg)
                vcol = nums[0]
            ts = close[tcol]
            tz = getattr(ts.dtype, "time_zone", None)
            if tz:
                ts = ts.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            times = _dt_to_ns(ts.cast(pl.Datetime("ns")).to_numpy())
            values = close[vcol].cast(pl.Float64).to_numpy()
            unit = getattr(close[tcol].dtype, "time_unit", None) or "us"
            p = Prices(times, np.asarray(values, dtype=np.float64), "polars", True, tz, vcol, tcol, unit)
    else:
        values = np.asarray(close, dtype=np.float64)
        if values.ndim != 1:
            msg = f"{name} must be one series (1-D), got shape {values.shape}"
            raise DataError(msg)
        p = Prices(np.arange(len(values), dtype=np.int64), values, "numpy", False)
    if check:
        check_sorted(p.times, name, allow_duplicates=False)
        bad = ~np.isfinite(p.values)
        if bad.any():
            i = int(np.argmax(bad))
            msg = f"{name} has a missing or infinite value at position {i}; drop or fill those bars first"
            raise DataError(msg)
    return p


def check_sorted(times: np.ndarray, name: str, *, allow_duplicates: bool) -> None:
    if len(times) < 2:
        return
    d = np.diff(times)
    if (d < 0).any():
        i = int(np.argmax(d < 0)) + 1
        msg = f"{name} is not sorted by time (position {i}); sort it first"
        raise DataError(msg)
    if not allow_duplicates and (d == 0).any():
        i = int(np.argmax(d == 0)) + 1
        msg = f"{name} has a duplicate timestamp at position {i}; keep one bar per timestamp (e.g. the last)"
        raise DataError(msg)


def as_times(obj: Any, prices: Prices, *, name: str = "events") -> np.ndarray:
    """Event times as int64 in the price series' units (ns or bar positions)."""
    kind = kind_of(obj)
    if kind == "pandas":
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            obj = obj.index
        if isinstance(obj, pd.Series):
            obj = pd.DatetimeIndex(obj) if prices.timed else obj.to_numpy()
        if isinstance(obj, pd.DatetimeIndex):
            idx = obj.tz_convert("UTC").tz_localize(None) if obj.tz is not None else obj
            return idx.as_unit("ns").asi8.astype(np.int64)
        return np.asarray(obj, dtype=np.int64)
    if kind == "polars":
        import polars as pl

        if isinstance(obj, pl.DataFrame):
            col = next((c for c in ("t0", "ts", prices.time_col) if c in obj.columns), None)
            if col is None:
                msg = f"{name} frame needs a 't0' or 'ts' column with the event times"
                raise DataError(msg)
            obj = obj[col]
        if obj.dtype.is_temporal():
            s = obj
            if getattr(s.dtype, "time_zone", None):
                s = s.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            return _dt_to_ns(s.cast(pl.Datetime("ns")).to_numpy())
        return obj.cast(pl.Int64).to_numpy()
    arr = np.asarray(obj)
    if arr.dtype.kind == "M":
        return _dt_to_ns(arr)
    if arr.dtype.kind not in "iu":
        msg = f"{name} must be timestamps or integer bar positions, got dtype {arr.dtype}"
        raise DataError(msg)
    return arr.astype(np.int64)


def aligned(value: Any, prices: Prices, n_events: int, event_pos: np.ndarray, *, name: str) -> np.ndarray:
    """A scalar, a per-event sequence, or a series on the price grid -> one float per event."""
    if value is None:
        msg = f"{name} is required"
        raise ConfigError(msg)
    if np.isscalar(value):
        return np.full(n_events, float(value))  # type: ignore[arg-type]
    kind = kind_of(value)
    if kind == "polars":
        import polars as pl

        if isinstance(value, pl.DataFrame):
            nums = [c for c, t in value.schema.items() if t.is_numeric()]
            col = name if name in value.columns else (nums[-1] if nums else None)
            if col is None:
                msg = f"{name} frame has no numeric column"
                raise DataError(msg)
            value = value[col]
        arr = value.cast(pl.Float64).to_numpy()
    elif kind == "pandas":
        arr = value.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(value, "to_numpy") else np.asarray(value)
    else:
        arr = np.asarray(value, dtype=np.float64)
    arr = np.asarray(arr, dtype=np.float64).reshape(-1)
    if len(arr) == len(prices.values) and len(arr) != n_events:
        return arr[event_pos]
    if len(arr) == n_events:
        return arr
    if len(arr) == len(prices.values):
        return arr[event_pos]
    msg = (
        f"{name} has {len(arr)} values; give a scalar, one value per event ({n_events}) or one per "
        f"bar ({len(prices.values)})"
    )
    raise DataError(msg)


_UNITS = {
    "ns": 1,
    "us": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "min": 60 * 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
    "d": 86400 * 10**9,
    "w": 7 * 86400 * 10**9,
}
_SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*(ns|us|ms|min|s|m|h|d|w)$")


def parse_span(value: Any, *, name: str) -> tuple[str, int]:
    """A time span ("5d", "90min", a timedelta) -> ("ns", nanoseconds), or an int -> ("bars", n)."""
    if isinstance(value, bool):
        msg = f"{name} must be a number of bars or a duration like '5d', got {value!r}"
        raise ConfigError(msg)
    if isinstance(value, int | np.integer):
        if value < 1:
            msg = f"{name} must be at least 1 bar, got {value}"
            raise ConfigError(msg)
        return "bars", int(value)
    if isinstance(value, dt.timedelta):
        ns = int(value.total_seconds() * 1e9)
    elif isinstance(value, np.timedelta64):
        ns = int(value.astype("timedelta64[ns]").astype(np.int64))
    elif isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return parse_span(int(text), name=name)
        m = _SPAN.match(text)
        if m is None:
            msg = f"{name}={value!r} is not a duration; write e.g. '5d', '12h', '30min' or a number of bars"
            raise ConfigError(msg)
        ns = int(float(m.group(1)) * _UNITS[m.group(2)])
    else:
        msg = f"{name} must be a number of bars or a duration like '5d', got {value!r}"
        raise ConfigError(msg)
    if ns <= 0:
        msg = f"{name} must be a positive duration, got {value!r}"
        raise ConfigError(msg)
    return "ns", ns
