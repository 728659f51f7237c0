"""Sample weights for overlapping labels (AFML ch. 4): concurrency, uniqueness, return
attribution, time decay and the sequential bootstrap."""

from __future__ import annotations

from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError
from trade2026.labeling._series import Prices, as_prices, as_times, kind_of


def event_spans(close: Any, events: Any) -> tuple[Prices, np.ndarray, np.ndarray]:
    """Bar positions [start, end] (inclusive) of each event's label span.

    ``events`` is a :func:`triple_barrier` result (pandas frame indexed by ``t0`` with ``t1``, or a
    polars frame with ``t0``/``t1``), a pandas Series of t1 indexed by t0, or for arrays a pair
    ``(t0, t1)`` of bar positions.
    """
    prices = as_prices(close)
    kind = kind_of(events)
    if kind == "pandas":
        t1_obj = events["t1"] if hasattr(events, "columns") else events
        t0 = as_times(events.index, prices, name="events t0")
        t1 = as_times(t1_obj.to_numpy() if not prices.timed else _pd_times(t1_obj), prices, name="events t1")
    elif kind == "polars":
        if "t1" not in events.columns:
            msg = "events need a 't1' column (the end of each label), as triple_barrier returns"
            raise DataError(msg)
        t0 = as_times(events, prices, name="events t0")
        t1 = as_times(events["t1"], prices, name="events t1")
    else:
        if not (isinstance(events, tuple | list) and len(events) == 2):
            arr = np.asarray(events)
            if arr.ndim != 2 or arr.shape[1] != 2:
                msg = "for arrays give events as (t0, t1) bar positions"
                raise DataError(msg)
            events = (arr[:, 0], arr[:, 1])
        t0 = as_times(np.asarray(events[0]), prices, name="events t0")
        t1 = as_times(np.asarray(events[1]), prices, name="events t1")
    if len(t0) != len(t1):
        msg = f"events have {len(t0)} starts but {len(t1)} ends"
        raise DataError(msg)
    if (t1 < t0).any():
        i = int(np.argmax(t1 < t0))
        msg = f"event {i} ends (t1) before it starts (t0); t1 must be at or after t0"
        raise DataError(msg)
    start = np.searchsorted(prices.times, t0, side="right") - 1
    end = np.searchsorted(prices.times, t1, side="right") - 1
    if len(start) and start.min() < 0:
        msg = "an event starts before the first bar of close; pass the full price history"
        raise DataError(msg)
    return prices, start.astype(np.int64), end.astype(np.int64)


def _pd_times(obj: Any) -> Any:
    import pandas as pd

    return pd.DatetimeIndex(obj)


def _out_per_event(events: Any, values: np.ndarray, name: str) -> Any:
    kind = kind_of(events)
    if kind == "pandas":
        import pandas as pd

        return pd.Series(values, index=events.index, name=name)
    if kind == "polars":
        import polars as pl

        return pl.Series(name, values)
    return values


def concurrent_events(close: Any, events: Any) -> Any:
    """Number of labels whose span covers each bar (AFML snippet 4.1).

    Returns a value per bar of ``close``: a pandas Series, a polars frame ``[ts, concurrency]``, or
    a numpy array.
    """
    from trade2026.labeling._events import _series_out
    from trade2026.labeling._kernels import concurrency_kernel

    prices, start, end = event_spans(close, events)
    conc = concurrency_kernel(start, end, len(prices.values))
    return _series_out(prices, conc, "concurrency", close)


def average_uniqueness(close: Any, events: Any) -> Any:
    """Average uniqueness of each label: the mean of 1 / concurrency over its span (AFML 4.4).

    1 for a label that overlaps no other; 1/k for k labels sharing exactly the same span.
    """
    from trade2026.labeling._kernels import concurrency_kernel, uniqueness_kernel

    prices, start, end = event_spans(close, events)
    conc = concurrency_kernel(start, end, len(prices.values))
    return _out_per_event(events, uniqueness_kernel(start, end, conc), "uniqueness")


def return_attribution(close: Any, events: Any) -> Any:
    """Sample weights by attributed absolute log return (AFML snippet 4.10), scaled to sum to the
    number of events.

    Each label gets ``|sum_{t in (t0, t1]} r_t / c_t|`` where ``r_t`` is the bar's log return and
    ``c_t`` the number of concurrent labels.
    """
    from trade2026.labeling._kernels import attribution_kernel, concurrency_kernel

    prices, start, end = event_spans(close, events)
    conc = concurrency_kernel(start, end, len(prices.values))
    logret = np.zeros(len(prices.values))
    logret[1:] = np.diff(np.log(prices.values))
    # the return of bar t accrues over (t-1, t]: a label starting at t0 earns from t0 + 1
    w = attribution_kernel(start + 1, end, np.maximum(conc, 1), logret) if len(start) else np.zeros(0)
    w[start == end] = 0.0
    total = w.sum()
    if total > 0:
        w = w * len(w) / total
    return _out_per_event(events, w, "weight")


def time_decay(uniqueness: Any, *, last: float = 1.0) -> Any:
    """Time-decay factors over cumulative uniqueness (AFML snippet 4.11).

    ``last`` in (-1, 1] is the weight of the oldest observation: 1 means no decay, 0 a linear decay
    to zero, negative values give the oldest ``|last|`` fraction of uniqueness zero weight. The
    newest label always weighs 1. Input: uniqueness per label in time order (same kind out).
    """
    if not -1.0 < last <= 1.0:
        msg = f"last must be in (-1, 1], got {last}"
        raise ConfigError(msg)
    kind = kind_of(uniqueness)
    u = np.asarray(uniqueness.to_numpy() if kind != "numpy" else uniqueness, dtype=np.float64)
    cum = np.cumsum(u)
    if len(cum) == 0 or cum[-1] <= 0:
        return uniqueness
    slope = (1.0 - last) / cum[-1] if last >= 0 else 1.0 / ((last + 1.0) * cum[-1])
    const = 1.0 - slope * cum[-1]
    out = np.maximum(const + slope * cum, 0.0)
    if kind == "pandas":
        import pandas as pd

        return pd.Series(out, index=uniqueness.index, name="decay")
    if kind == "polars":
        import polars as pl

        return pl.Series("decay", out)
    return out


def sequential_bootstrap(
    close: Any, events: Any, *, n_samples: int | None = None, random_state: Any = None
) -> np.ndarray:
    """Draw labels with replacement, each draw favouring labels that overlap the drawn ones least
    (AFML snippet 4.5).

    Returns the positions (into ``events``) of the ``n_samples`` draws (default: as many as events),
    a numpy int array. Costs O(n_samples x sum of span lengths).
    """
    from trade2026.labeling._kernels import seq_bootstrap_kernel

    prices, start, end = event_spans(close, events)
    n = len(start)
    if n == 0:
        msg = "no events to draw from"
        raise DataError(msg)
    draws = n if n_samples is None else int(n_samples)
    if draws < 1:
        msg = f"n_samples must be at least 1, got {n_samples}"
        raise ConfigError(msg)
    rng = np.random.default_rng(random_state)
    u = rng.random(draws)
    return seq_bootstrap_kernel(start, end, len(prices.values), draws, u)
