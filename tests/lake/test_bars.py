"""Bars from ticks (AFML ch. 2) checked against plain Python loops."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import InputError
from trade2026.lake import BarSpec, Lake, bars_from_ticks, build_bars

T0 = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)


def ticks(n: int, seed: int = 0, symbols: tuple[str, ...] = ("A", "B")) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in symbols:
        offs = np.sort(rng.integers(0, 600_000_000, n))  # microseconds within 10 minutes
        px = 100 + np.cumsum(rng.normal(0, 0.05, n))
        size = rng.integers(1, 50, n).astype(float)
        for o, p, q in zip(offs, px, size, strict=True):
            rows.append((s, T0 + dt.timedelta(microseconds=int(o)), float(p), float(q), 0))
    return pl.DataFrame(rows, schema=["symbol", "ts", "price", "size", "side"], orient="row").with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC"))
    )


def reference_threshold_bars(df: pl.DataFrame, measure: str, threshold: float) -> list[dict[str, Any]]:
    """Plainly written: walk ticks per symbol, close a bar once the accumulated measure >= threshold."""
    out = []
    for sym in sorted(set(df["symbol"])):
        acc, cur = 0.0, []
        for r in df.filter(pl.col("symbol") == sym).sort("ts").iter_rows(named=True):
            cur.append(r)
            acc += {"tick": 1.0, "volume": r["size"], "dollar": r["price"] * r["size"]}[measure]
            if acc >= threshold:
                prices = [c["price"] for c in cur]
                out.append(
                    {
                        "symbol": sym,
                        "ts": cur[-1]["ts"],
                        "open": prices[0],
                        "high": max(prices),
                        "low": min(prices),
                        "close": prices[-1],
                        "volume": sum(c["size"] for c in cur),
                        "n_ticks": len(cur),
                    }
                )
                acc, cur = 0.0, []
    return out


@pytest.mark.parametrize(
    ("kind", "measure", "threshold"),
    [("tick:37", "tick", 37), ("volume:500", "volume", 500), ("dollar:40000", "dollar", 40000)],
)
def test_information_bars_match_reference(kind: str, measure: str, threshold: float) -> None:
    df = ticks(400)
    got = build_bars(df, kind)
    ref = reference_threshold_bars(df, measure, threshold)
    assert got.height == len(ref)
    cols = ["symbol", "ts", "open", "high", "low", "close", "volume", "n_ticks"]
    assert got.select(cols).to_dicts() == ref


def test_time_bars_match_reference() -> None:
    df = ticks(300)
    got = build_bars(df, "time:1m")
    ref: dict[tuple[str, dt.datetime], list[dict[str, Any]]] = {}
    for r in df.sort("symbol", "ts").iter_rows(named=True):
        start = r["ts"].replace(second=0, microsecond=0)
        ref.setdefault((r["symbol"], start), []).append(r)
    assert got.height == len(ref)
    for row in got.iter_rows(named=True):
        grp = ref[(row["symbol"], row["ts"])]
        assert row["open"] == grp[0]["price"] and row["close"] == grp[-1]["price"]
        assert row["high"] == max(g["price"] for g in grp) and row["low"] == min(g["price"] for g in grp)
        assert row["volume"] == sum(g["size"] for g in grp)
        vwap = sum(g["price"] * g["size"] for g in grp) / sum(g["size"] for g in grp)
        assert row["vwap"] == pytest.approx(vwap, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 100), min_size=1, max_size=200), threshold=st.integers(1, 500))
def test_volume_bars_conserve_and_close_at_threshold(sizes: list[int], threshold: int) -> None:
    """Every completed bar holds >= threshold volume, and < threshold before its last tick;
    completed bars plus the dropped remainder account for every tick."""
    n = len(sizes)
    df = pl.DataFrame(
        {
            "symbol": ["A"] * n,
            "ts": [T0 + dt.timedelta(seconds=i) for i in range(n)],
            "price": [10.0] * n,
            "size": [float(s) for s in sizes],
        }
    )
    bars = build_bars(df, f"volume:{threshold}")
    assert (bars["volume"] >= threshold).all()
    used = int(bars["n_ticks"].sum())
    assert sum(sizes[used:]) < threshold
    i = 0
    for b in bars.iter_rows(named=True):
        chunk = sizes[i : i + b["n_ticks"]]
        assert sum(chunk[:-1]) < threshold <= sum(chunk)
        i += b["n_ticks"]


def test_bar_spec_parsing() -> None:
    assert str(BarSpec.parse("time:5min")) == "time:5m"
    assert BarSpec.parse("dollar:1e6").threshold == 1e6
    for bad in ("time", "time:fortnight", "range:3", "tick:2.5", "volume:-1", "dollar:abc"):
        with pytest.raises(InputError):
            BarSpec.parse(bad)


def test_bars_from_ticks_table_writes_and_merges(lake: Lake) -> None:
    lake.write(
        "ticks", ticks(200).with_columns(pl.col("ts").dt.date().alias("date")), mode="append", partition_by=["date"]
    )
    built, res = bars_from_ticks(lake, source="ticks", target="bars_vol", kind="volume:300", symbols=["A"])
    assert set(built["symbol"]) == {"A"} and res.inserted == built.height
    _, again = bars_from_ticks(lake, source="ticks", target="bars_vol", kind="volume:300", symbols=["A"])
    assert (again.inserted, again.updated) == (0, 0)
    with pytest.raises(InputError, match="not in 'ticks'"):
        bars_from_ticks(lake, source="ticks", target="bars_vol", kind="tick:5", symbols=["ZZZ"])


def test_cli_bars(cli: Any, sample_lake: Lake) -> None:
    import json

    r = cli("data", "bars", "--from", "ticks", "--to", "bars_5m", "--kind", "time:5m", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["bars"] == sample_lake.count("bars_5m") > 0
    r = cli("data", "bars", "--kind", "weekly")
    assert r.exit_code == 2 and "bad bar kind" in r.output


def test_bars_into_an_ingested_table_add_their_extra_columns(lake: Lake) -> None:
    ingested = build_bars(ticks(50), "time:1m").drop("vwap", "n_ticks").head(3)
    lake.write("bars_1m", ingested, mode="merge", keys=["symbol", "ts"])
    lake.write("ticks", ticks(200).with_columns(pl.col("ts").dt.date().alias("date")), mode="append")
    built, res = bars_from_ticks(lake, source="ticks", target="bars_1m", kind="time:1m")
    back = lake.read("bars_1m")
    assert {"vwap", "n_ticks"} <= set(back.columns)
    assert back.height == built.height and res.inserted + res.updated <= built.height


def test_bars_from_trades_orders_equal_timestamps_by_seq() -> None:
    """PRISM's trade log: many trades share a microsecond; open and close follow ``seq``, bars keep
    run_id/date, and the OHLCV equal both a plain loop and ``build_bars``' time bars."""
    from trade2026.lake._bars import bars_from_trades

    rng = np.random.default_rng(3)
    n = 400
    offs = np.sort(rng.integers(0, 180, n)) * 1_000_000  # whole seconds over 3 minutes: many ties
    df = pl.DataFrame(
        {
            "run_id": "r1",
            "symbol": "P",
            "ts": [T0 + dt.timedelta(microseconds=int(o)) for o in offs],
            "price": np.round(100 + np.cumsum(rng.normal(0, 0.05, n)), 2),
            "size": rng.integers(1, 9, n).astype(float),
            "date": T0.date(),
        }
    ).with_columns(pl.int_range(pl.len()).alias("seq"))
    shuffled = df.sample(fraction=1.0, shuffle=True, seed=1)  # the builder must not rely on row order
    got = bars_from_trades(shuffled, "1m")
    assert got.columns == ["symbol", "ts", "open", "high", "low", "close", "volume", "run_id", "date"]
    ref: dict[dt.datetime, list[dict[str, Any]]] = {}
    for r in df.iter_rows(named=True):  # df is in seq order
        ref.setdefault(r["ts"].replace(second=0), []).append(r)
    assert got["ts"].to_list() == sorted(ref)
    for row in got.iter_rows(named=True):
        grp = ref[row["ts"]]
        assert (row["open"], row["close"]) == (grp[0]["price"], grp[-1]["price"])
        assert (row["high"], row["low"]) == (max(g["price"] for g in grp), min(g["price"] for g in grp))
        assert row["volume"] == sum(g["size"] for g in grp)
        assert (row["run_id"], row["date"]) == ("r1", T0.date())
    lake_bars = build_bars(df, "time:1m")
    cols = ["symbol", "ts", "high", "low", "volume"]
    assert got.select(cols).equals(lake_bars.select(cols))
    empty = bars_from_trades(df.clear(), "1m")
    assert empty.height == 0 and empty.columns == ["symbol", "ts", "open", "high", "low", "close", "volume"]
