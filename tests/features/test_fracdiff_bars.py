"""``fracdiff_bars`` (behind ``t26 fracdiff``): per symbol the same as the one-series functions."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.errors import ConfigError, DataError, NotFoundError
from trade2026.features import SEARCH_THRESH, fracdiff, fracdiff_bars, min_d


@pytest.fixture
def bars(small_sample: Any) -> pl.DataFrame:
    syms = sorted(small_sample.bars_1d["symbol"].unique().to_list())[:2]
    return small_sample.bars_1d.filter(pl.col("symbol").is_in(syms))


def test_each_symbol_is_its_own_min_d_and_fracdiff(bars: pl.DataFrame) -> None:
    syms = sorted(bars["symbol"].unique().to_list())
    res = fracdiff_bars(bars, syms[::-1])  # reported in the order asked
    assert [r["symbol"] for r in res.results] == syms[::-1]
    assert res.thresh == SEARCH_THRESH and set(res.to_dict()) == {"thresh", "results", "search"}
    for row in res.results:
        logc = np.log(bars.filter(pl.col("symbol") == row["symbol"]).sort("ts")["close"].to_numpy())
        assert row["d"] == min_d(logc).d
        want = fracdiff(logc, row["d"], thresh=SEARCH_THRESH)
        got = res.series.filter(pl.col("symbol") == row["symbol"])
        np.testing.assert_allclose(got["value"].to_numpy(), want[~np.isnan(want)], rtol=0, atol=1e-12)
        assert (got["d"] == row["d"]).all()
    assert res.metrics()[f"d_{syms[0]}"] == res.results[1]["d"]
    grid_titles = [title for title, _ in res.tables()[:-1]]
    assert grid_titles[0].startswith(f"{syms[1]}: ADF of the FFD series by d")
    assert [r["d"] for r in res.tables()[0][1]] == pytest.approx([k / 10 for k in range(11)])


def test_fixed_d_on_a_pandas_frame_and_every_symbol_by_default(bars: pl.DataFrame) -> None:
    res = fracdiff_bars(bars.to_pandas(), d="0.4", thresh=1e-4)
    assert [r["symbol"] for r in res.results] == sorted(bars["symbol"].unique().to_list())
    assert all(r["d"] == 0.4 for r in res.results) and "search" not in res.to_dict()
    assert res.run_params["d"] == 0.4 and res.run_params["symbols"] == ",".join(r["symbol"] for r in res.results)


def test_bad_settings_and_bars(bars: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="'auto'"):
        fracdiff_bars(bars, d="big")
    with pytest.raises(ConfigError, match=r"d must be in \[0, 2\]"):
        fracdiff_bars(bars, d=3)
    with pytest.raises(ConfigError, match="needs the bars given as a Lake"):
        fracdiff_bars(bars, d=0.4, thresh=1e-4, save="fd")
    with pytest.raises(NotFoundError, match="NOPE"):
        fracdiff_bars(bars, ["NOPE"], d=0.4)
    with pytest.raises(DataError, match="duplicate"):
        fracdiff_bars(pl.concat([bars, bars.head(1)]), d=0.4, thresh=1e-4)
    with pytest.raises(DataError, match="close"):
        fracdiff_bars(bars.drop("close"), d=0.4)
