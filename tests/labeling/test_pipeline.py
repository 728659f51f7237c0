"""label_events: the CUSUM -> triple barrier -> weights pipeline behind `t26 label`."""

from __future__ import annotations

from typing import Any

import polars as pl

from trade2026.labeling import cusum_filter, daily_vol, label_events, triple_barrier


def test_label_events_matches_its_steps(small_sample: Any) -> None:
    sym = small_sample.symbols["symbol"][0]
    close = small_sample.bars_1d.filter(pl.col("symbol") == sym).select("ts", "close").sort("ts")
    res = label_events(close, pt=1.0, sl=2.0, vertical=10, cusum=1.0, span=100)
    vol = daily_vol(close, span=100)["vol"].to_numpy()
    events = cusum_filter(close.with_columns(pl.col("close").log()), vol)
    tb = triple_barrier(close, events, pt=1.0, sl=2.0, vertical=10, target=vol)
    assert res.labels is not None
    assert res.labels.select(tb.columns).equals(tb)
    s = res.summary
    assert s["bars"] == close.height and s["events"] == tb.height
    assert s["pt"] + s["sl"] + s["vertical"] + s["end"] == s["events"]
    assert s["label_up"] + s["label_down"] + s["label_zero"] == s["events"]
    assert res.labels["uniqueness"].is_between(0, 1, closed="right").all()


def test_label_events_without_events(small_sample: Any) -> None:
    sym = small_sample.symbols["symbol"][0]
    close = small_sample.bars_1d.filter(pl.col("symbol") == sym).select("ts", "close").sort("ts").head(30)
    res = label_events(close, cusum=1e6)
    assert res.labels is None and res.summary == {"bars": 30, "events": 0}
