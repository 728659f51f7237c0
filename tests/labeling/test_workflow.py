"""``label_bars`` and ``metalabel_bars`` (behind ``t26 label`` / ``t26 metalabel``) on bars frames."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from trade2026.errors import ConfigError
from trade2026.labeling import label_bars, label_events, metalabel, metalabel_bars


@pytest.fixture
def bars(small_sample: Any) -> pl.DataFrame:
    syms = sorted(small_sample.bars_1d["symbol"].unique().to_list())[:3]
    return small_sample.bars_1d.filter(pl.col("symbol").is_in(syms))


def test_label_bars_is_label_events_per_symbol(bars: pl.DataFrame) -> None:
    syms = sorted(bars["symbol"].unique().to_list())
    res = label_bars(bars, syms, sl=2.0, vertical="10")
    assert res.params == {"pt": 1.0, "sl": 2.0, "vertical": 10, "cusum": 1.0, "span": 100, "min_ret": 0.0}
    assert res.labels is not None
    for row in res.summary:
        close = bars.filter(pl.col("symbol") == row["symbol"]).sort("ts").select("ts", "close")
        one = label_events(close, sl=2.0, vertical=10)
        assert row == {"symbol": row["symbol"], **one.summary}
        assert one.labels is not None
        mine = res.labels.filter(pl.col("symbol") == row["symbol"]).drop("symbol")
        assert mine.equals(one.labels.rename({"t0": "ts"}).select(mine.columns))
    assert res.metrics()["events"] == res.labels.height == sum(r["events"] for r in res.summary)
    with pytest.raises(ConfigError, match="cusum must be a positive"):
        label_bars(bars, cusum=0)
    with pytest.raises(ConfigError, match="needs the bars given as a Lake"):
        label_bars(bars, save="labels")


def test_metalabel_bars_is_metalabel_of_the_symbol(bars: pl.DataFrame) -> None:
    sym = sorted(bars["symbol"].unique().to_list())[0]
    res = metalabel_bars(bars, sym, primary="sma_cross:fast=10,slow=30", model="logit", vertical="10")
    one = metalabel(bars.filter(pl.col("symbol") == sym), "sma_cross:fast=10,slow=30", model="logit", vertical=10)
    assert res.to_dict() == {"symbol": sym, **one.to_dict()}
    assert res.run_params == {"symbol": sym, **one.params}
    assert res.metrics()["primary_bets"] == res.events.height
    with pytest.raises(ConfigError, match="rf, gb, logit"):
        metalabel_bars(bars, sym, model="svm")
