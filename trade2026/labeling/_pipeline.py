"""Events to labels in one call: daily volatility -> CUSUM events -> triple barrier -> weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.labeling._barriers import triple_barrier
from trade2026.labeling._events import cusum_filter, daily_vol
from trade2026.labeling._weights import average_uniqueness, return_attribution


@dataclass(frozen=True)
class EventLabels:
    """Labels of one series' CUSUM events and a summary of them.

    ``labels`` has one row per event (``t0``, ``t1``, ``barrier``, ``ret``, ``target``, ``label``,
    ``uniqueness``, ``weight``), or is None when there is no event. ``summary`` counts bars, events,
    barriers touched and labels, with the mean return and average uniqueness.
    """

    labels: pl.DataFrame | None
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.summary)


def label_events(
    close: pl.DataFrame,
    *,
    pt: float = 1.0,
    sl: float = 1.0,
    vertical: Any = None,
    cusum: float = 1.0,
    span: int = 100,
    min_ret: float = 0.0,
) -> EventLabels:
    """Sample CUSUM events and label them with the triple barrier (AFML ch. 2-4).

    Parameters
    ----------
    close : polars DataFrame with ``ts`` and ``close``, sorted by time.
    pt, sl : float
        Profit-taking and stop-loss barriers in daily volatilities (0 disables one).
    vertical : int, duration or None
        Vertical barrier in bars, or a duration such as ``"14d"``; None for none.
    cusum : float
        CUSUM threshold in daily volatilities.
    span : int
        EWM span of the daily volatility.
    min_ret : float
        Events whose target is below this are dropped.
    """
    vol = daily_vol(close, span=span)["vol"].to_numpy()
    events = cusum_filter(close.with_columns(pl.col("close").log()), cusum * vol)
    tb = triple_barrier(close, events, pt=pt, sl=sl, vertical=vertical, target=vol, min_ret=min_ret)
    summary: dict[str, Any] = {"bars": close.height, "events": tb.height}
    if not tb.height:
        return EventLabels(None, summary)
    uniq = average_uniqueness(close, tb)
    tb = tb.with_columns(uniq.alias("uniqueness"), return_attribution(close, tb).alias("weight"))
    counts = tb["barrier"].value_counts()
    by = dict(zip(counts["barrier"].to_list(), counts["count"].to_list(), strict=True))
    lab = tb["label"].to_numpy()
    summary.update(
        pt=by.get("pt", 0),
        sl=by.get("sl", 0),
        vertical=by.get("vertical", 0),
        end=by.get("end", 0),
        label_up=int((lab == 1).sum()),
        label_down=int((lab == -1).sum()),
        label_zero=int((lab == 0).sum()),
        mean_ret=float(np.mean(tb["ret"].to_numpy())),
        avg_uniqueness=float(uniq.mean()),
    )
    return EventLabels(tb, summary)
