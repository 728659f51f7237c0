"""Observation features against independent computations, and the scaler fitted on training rows only."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from tests.rl.conftest import synthetic_bars
from trade2026.errors import ConfigError, DataError
from trade2026.features import fracdiff, indicators
from trade2026.rl import FeatureScaler, market_data, parse_feature

BARS = synthetic_bars(150, ("AAA", "BBB"), seed=81, late=25)


def test_parse_feature_names() -> None:
    assert parse_feature("ret_20").kind == "ret" and parse_feature("ret_20").warmup == 21
    fd = parse_feature("fracdiff_35_32")
    assert fd.kind == "fracdiff" and fd.params == (0.35, 32.0) and fd.warmup == 32
    assert parse_feature("fracdiff").params == (0.4, 64.0)
    assert parse_feature("rsi_14").kind == "indicator"
    with pytest.raises(ConfigError):
        parse_feature("ret_1")


def test_vol_scaled_return_matches_an_independent_loop() -> None:
    data = market_data(BARS, features=("ret_10",), normalize=False)
    close = data.close[:, 1]  # BBB, listed late
    alpha = 2 / 11
    out = np.full(len(close), np.nan)
    r = [
        math.log(close[i] / close[i - 1]) if np.isfinite(close[i - 1]) and np.isfinite(close[i]) else None
        for i in range(1, len(close))
    ]
    seen, var = [], None
    for i, x in enumerate(r, start=1):
        if x is None:
            continue
        if var is not None:
            out[i] = x / math.sqrt(var)
        seen.append(x * x)
        if len(seen) == 10:
            var = sum(seen) / 10
        elif len(seen) > 10:
            var = alpha * x * x + (1 - alpha) * var
    np.testing.assert_allclose(data.raw_features[:, 1], out, rtol=1e-12, equal_nan=True)


def test_fracdiff_and_indicator_features_are_the_librarys() -> None:
    data = market_data(BARS, features=("fracdiff_40_16", "rsi_14"), normalize=False)
    logp = np.log(data.close)
    expect_fd = np.asarray(fracdiff(logp, 0.4, window=16))
    np.testing.assert_allclose(data.raw_features[:, 0::2], expect_fd, rtol=1e-12, equal_nan=True)
    rsi = indicators.compute(BARS, ["rsi_14"]).filter(pl.col("symbol") == "BBB")["rsi_14"].to_numpy()
    got = data.raw_features[:, 3][np.isfinite(data.close[:, 1])]
    np.testing.assert_allclose(got, rsi.astype(float), rtol=1e-12, equal_nan=True)


def test_scaler_is_fitted_on_the_training_rows_only_and_frozen() -> None:
    full = market_data(BARS, features=("ret_10", "rsi_14"))
    train = full.slice(0, 100)
    rows = train.raw_features[train.first_start :]
    mean = np.nanmean(rows, axis=0)
    std = np.nanstd(rows, axis=0, ddof=1)
    np.testing.assert_allclose(train.scaler.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(train.scaler.scale_, std, rtol=1e-12)
    test = full.slice(90, 150, scaler=train.scaler)
    assert test.scaler is train.scaler
    expect = np.clip((full.raw_features[90:150] - mean) / std, -5, 5)
    np.testing.assert_allclose(test.features, np.nan_to_num(expect).astype(np.float32), rtol=1e-6)
    again = FeatureScaler.from_dict(train.scaler.to_dict())
    assert again == train.scaler


def test_load_bars_reads_one_prism_run_and_the_table_version(lake) -> None:
    from trade2026.rl import load_bars

    a = synthetic_bars(50, ("PRISM",), seed=1).with_columns(run_id=pl.lit("r1"))
    b = synthetic_bars(50, ("PRISM",), seed=2).with_columns(
        run_id=pl.lit("r2"), ts=pl.col("ts") + pl.duration(days=100)
    )
    lake.write("bars_1m_prism", pl.concat([a, b]))
    bars, source = load_bars(lake, ["PRISM"], table="bars_1m_prism", prism_run="r2")
    assert bars.height == 50 and bars["close"].to_list() == b["close"].to_list()
    assert source == {
        "table": "bars_1m_prism",
        "table_version": 0,
        "symbols": ["PRISM"],
        "prism_run": "r2",
        "features": None,
    }
    with pytest.raises(DataError, match="no bars of PRISM run"):
        load_bars(lake, ["PRISM"], table="bars_1m_prism", prism_run="r3")
