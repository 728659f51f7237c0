"""The sample universe: deterministic, and with the statistical features it promises."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.datasets import SampleSpec, generate, write_sample
from trade2026.errors import ConfigError
from trade2026.lake import Lake, validate_bars, validate_ticks

ROOT = Path(__file__).resolve().parents[2]


def digest(df: pl.DataFrame) -> str:
    import io

    buf = io.BytesIO()
    df.write_ipc(buf, compression="uncompressed")
    return hashlib.sha256(buf.getvalue()).hexdigest()


@pytest.fixture(scope="module")
def full() -> Any:
    return generate()  # the defaults: 60 symbols x 12 years


def test_same_seed_same_bytes_different_seed_differs(small_sample: Any) -> None:
    again = generate(symbols=8, years=3, seed=0, intraday_symbols=1, intraday_days=2, ticks_per_day=2000)
    for name, frame in small_sample.tables().items():
        assert digest(frame) == digest(again.tables()[name]), name
    other = generate(symbols=8, years=3, seed=1, intraday_symbols=1, intraday_days=2, ticks_per_day=2000)
    assert digest(other.bars_1d) != digest(small_sample.bars_1d)


def test_same_seed_same_data_through_the_lake(tmp_path: Path, small_sample: Any) -> None:
    a, b = Lake(tmp_path / "a"), Lake(tmp_path / "b")
    write_sample(a, small_sample)
    write_sample(b, generate(symbols=8, years=3, seed=0, intraday_symbols=1, intraday_days=2, ticks_per_day=2000))
    for t in ("bars_1d", "bars_1m", "ticks", "symbols"):
        order = [c for c in ("symbol", "ts") if c in a.read(t).columns]
        assert digest(a.read(t).sort(order)) == digest(b.read(t).sort(order))


def test_defaults_match_the_recipe_file() -> None:
    with (ROOT / "datasets" / "sample.toml").open("rb") as fh:
        src = tomllib.load(fh)["sources"][0]
    defaults = SampleSpec()
    for f in fields(SampleSpec):
        if f.name in src:
            assert src[f.name] == getattr(defaults, f.name), f.name


def test_shape_listings_and_validity(full: Any) -> None:
    bars = full.bars_1d
    validate_bars(bars)
    validate_ticks(full.ticks)
    assert bars["symbol"].n_unique() >= 50
    span = bars["ts"].max() - bars["ts"].min()
    assert span.days >= 365 * 10
    life = bars.group_by("symbol").agg(pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"))
    assert (life["first"] > bars["ts"].min()).sum() >= 2, "late listings"
    assert (life["last"] < bars["ts"].max()).sum() >= 2, "delistings"
    meta = full.symbols
    assert meta["delisted"].is_not_null().sum() == (life["last"] < bars["ts"].max()).sum()
    assert set(meta["sector"]) == {"Technology", "Financials", "Health Care", "Energy", "Consumer", "Industrials"}


def test_stylised_facts(full: Any) -> None:
    r = (
        full.bars_1d.sort("symbol", "ts")
        .with_columns(pl.col("close").log().diff().over("symbol").alias("r"))
        .drop_nulls("r")
    )
    wide = r.pivot(on="symbol", index="ts", values="r").sort("ts").drop("ts")
    x = wide.to_numpy()
    sectors = dict(full.symbols.select("symbol", "sector").iter_rows())
    cols = wide.columns
    corr = pl.DataFrame(x).select(pl.all()).to_pandas().corr(min_periods=500).to_numpy()
    same, diff = [], []
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            if np.isfinite(corr[i, j]):
                (same if sectors[cols[i]] == sectors[cols[j]] else diff).append(corr[i, j])
    assert np.mean(same) > np.mean(diff) + 0.05, "sector structure"
    assert np.mean(diff) > 0.1, "a common market factor"
    kurt, acf_abs = [], []
    for j in range(x.shape[1]):
        s = x[:, j][np.isfinite(x[:, j])]
        z = (s - s.mean()) / s.std()
        kurt.append(np.mean(z**4))
        a = np.abs(s)
        acf_abs.append(np.corrcoef(a[1:], a[:-1])[0, 1])
    assert np.median(kurt) > 4.0, "fat tails (Pearson kurtosis of a normal is 3)"
    assert np.median(acf_abs) > 0.05, "volatility clustering"


def test_ticks_consistent_with_minute_and_daily_bars(small_sample: Any) -> None:
    t, m, d = small_sample.ticks, small_sample.bars_1m, small_sample.bars_1d
    assert m["volume"].sum() == t["size"].sum()
    for (sym, day), grp in t.group_by("symbol", "date"):
        bar = d.filter((pl.col("symbol") == sym) & (pl.col("ts").dt.date() == day)).row(0, named=True)
        assert bar["open"] == grp.sort("ts")["price"][0]
        assert bar["close"] == grp.sort("ts")["price"][-1]
        assert bar["high"] == grp["price"].max() and bar["low"] == grp["price"].min()
        assert bar["volume"] == grp["size"].sum()


def test_bad_spec() -> None:
    with pytest.raises(ConfigError, match="symbols must be"):
        generate(symbols=1)
    with pytest.raises(ConfigError, match="start must be an ISO date"):
        generate(start="yesterday")
