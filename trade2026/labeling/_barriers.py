"""The triple-barrier method (AFML ch. 3): profit-taking, stop-loss and vertical barriers."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from trade2026.errors import ConfigError, DataError
from trade2026.labeling._series import Prices, aligned, as_prices, as_times, parse_span

BARRIERS = ("none", "pt", "sl", "vertical", "end")


def _event_positions(prices: Prices, ev: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(prices.times, ev, side="right") - 1
    if len(pos) and pos.min() < 0:
        i = int(np.argmin(pos))
        msg = f"event {i} is before the first bar of close; drop events outside the price history"
        raise DataError(msg)
    return pos


def _vertical_end(prices: Prices, pos: np.ndarray, ev: np.ndarray, vertical: Any) -> tuple[np.ndarray, np.ndarray]:
    n = len(prices.values)
    if vertical is None:
        return np.full(len(pos), n - 1, dtype=np.int64), np.zeros(len(pos), dtype=np.bool_)
    unit, size = parse_span(vertical, name="vertical")
    if unit == "bars":
        end = pos + size
    else:
        if not prices.timed:
            msg = "a duration for vertical needs timestamps; with a plain array give it in bars (an int)"
            raise ConfigError(msg)
        end = np.searchsorted(prices.times, ev + size, side="left")  # first bar at or after t0 + span
    hit = end <= n - 1
    return np.minimum(end, n - 1).astype(np.int64), hit


def triple_barrier(
    close: Any,
    events: Any,
    *,
    pt: float = 1.0,
    sl: float = 1.0,
    vertical: Any = None,
    target: Any = None,
    side: Any = None,
    min_ret: float = 0.0,
    vertical_label: Literal["sign", "zero"] = "sign",
) -> Any:
    """Label events by the first of three barriers their price path touches (AFML 3.4-3.6).

    Parameters
    ----------
    close : price series
        A pandas Series with a DatetimeIndex, a polars frame with ``ts`` and ``close``, or a 1-D
        array (times are then bar positions). Sorted, unique timestamps, no missing prices.
    events : event times
        A DatetimeIndex / polars Series of times (e.g. from :func:`cusum_filter`), or bar positions
        for an array. An event at time t enters at the last close at or before t.
    pt, sl : float, default 1.0
        Profit-taking and stop-loss widths as multiples of ``target``. They are independent: the
        stop is never set from ``pt``. Zero disables that barrier.
    vertical : str, timedelta or int, optional
        The vertical barrier: a duration ("5d": the first bar at or after t0 + 5 days) or a number of
        bars. None means the path runs to the end of the data.
    target : float or series, optional
        Barrier width in return units: a scalar, one value per event, or a series aligned with
        ``close`` (read at each event). Default: ``daily_vol(close)``.
    side : int or series, optional
        The primary model's bet (+1 long, -1 short) for meta-labeling: a scalar, one value per event,
        or a series aligned with ``close``. Events with side 0 (no bet) are dropped.
    min_ret : float, default 0
        Drop events whose target is not above this (and those without a target yet).
    vertical_label : {"sign", "zero"}
        Without ``side``: label a vertical (or end-of-data) exit by the sign of its return (AFML
        snippet 3.5) or 0 (AFML exercise 3.1).

    Returns
    -------
    One row per labelled event: ``t0``, ``t1`` (first touch), ``barrier`` ("pt", "sl", "vertical",
    or "end" when the data ran out first), ``ret`` (close-to-close return to t1, times the side),
    ``target``, ``side`` (when given) and ``label``: +1 / -1 / 0 without side, 1 (take the bet) / 0
    with side. A pandas frame indexed by ``t0`` for pandas input, otherwise a polars frame (numpy
    input: ``t0``/``t1`` are bar positions). Events at the last bar, with no later bar, are dropped.
    """
    from trade2026.labeling._kernels import triple_barrier_kernel

    for label, value in (("pt", pt), ("sl", sl)):
        if not np.isfinite(value) or value < 0:
            msg = f"{label} must be a multiple of target >= 0 (0 disables that barrier), got {value!r}"
            raise ConfigError(msg)
    if pt == 0 and sl == 0 and vertical is None:
        msg = "no barrier to touch: set pt and/or sl above 0, or a vertical barrier"
        raise ConfigError(msg)
    if vertical_label not in ("sign", "zero"):
        msg = f"vertical_label must be 'sign' or 'zero', got {vertical_label!r}"
        raise ConfigError(msg)
    prices = as_prices(close)
    if (prices.values <= 0).any():
        msg = "close must hold positive prices"
        raise DataError(msg)
    ev = as_times(events, prices)
    n_ev = len(ev)
    pos = _event_positions(prices, ev)
    if target is None:
        from trade2026.labeling._events import daily_vol_array

        trg = daily_vol_array(prices, lookback="1d" if prices.timed else 1)[pos]
    else:
        trg = aligned(target, prices, n_ev, pos, name="target")
    sides = None
    if side is not None:
        sides = aligned(side, prices, n_ev, pos, name="side")
        bad = ~np.isin(sides, (-1.0, 0.0, 1.0))
        if bad.any():
            msg = f"side must be +1 (long), -1 (short) or 0 (no bet); found {sides[bad][0]!r}"
            raise DataError(msg)
    order = np.argsort(ev, kind="stable")
    ev, pos, trg = ev[order], pos[order], trg[order]
    if sides is not None:
        sides = sides[order]
    keep = np.isfinite(trg) & (trg > min_ret)
    if sides is not None:
        keep &= sides != 0
    pos, ev, trg = pos[keep], ev[keep], trg[keep]
    sd = sides[keep] if sides is not None else np.ones(len(pos))
    end, vhit = _vertical_end(prices, pos, ev, vertical)
    upper = np.where(pt > 0, pt * trg, np.inf)
    lower = np.where(sl > 0, -sl * trg, -np.inf)
    touch, code = triple_barrier_kernel(
        np.ascontiguousarray(prices.values), pos.astype(np.int64), end, upper, lower, sd, vhit
    )
    ok = code != 0
    pos, ev, trg, sd, touch, code = pos[ok], ev[ok], trg[ok], sd[ok], touch[ok], code[ok]
    ret = (prices.values[touch] / prices.values[pos] - 1.0) * sd
    if sides is not None:
        label = (ret > 0).astype(np.int8)
    else:
        label = np.sign(ret).astype(np.int8)
        label[code == 1] = 1
        label[code == 2] = -1
        if vertical_label == "zero":
            label[code >= 3] = 0
    cols: dict[str, Any] = {
        "t0": prices.times_out(ev if prices.timed else pos),
        "t1": prices.times_out(prices.times[touch]),
        "barrier": np.asarray(BARRIERS, dtype=object)[code],
        "ret": ret,
        "target": trg,
    }
    if sides is not None:
        cols["side"] = sd.astype(np.int8)
    cols["label"] = label
    return _frame_out(prices, cols)


def _frame_out(prices: Prices, cols: dict[str, Any]) -> Any:
    if prices.kind == "pandas":
        import pandas as pd

        t0 = cols.pop("t0")
        frame = pd.DataFrame({k: np.asarray(v) if k != "t1" else v for k, v in cols.items()}, index=t0)
        frame.index.name = "t0"
        frame["barrier"] = frame["barrier"].astype(str)
        return frame
    import polars as pl

    data = {}
    for k, v in cols.items():
        if isinstance(v, pl.Series):
            data[k] = v.alias(k)
        elif k == "barrier":
            data[k] = pl.Series(k, list(v), dtype=pl.String)
        else:
            data[k] = pl.Series(k, v)
    return pl.DataFrame(list(data.values()))
