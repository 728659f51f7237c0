"""Entry/exit signals -> target positions: the documented rules, a plain reference loop, sma_cross."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trade2026.backtest import entry_exit_positions, run_backtest, strategy_positions
from trade2026.backtest._signals import entry_exit_targets
from trade2026.core import bars_panel, to_polars
from trade2026.errors import ConfigError, DataError

NAMES = ("entries", "exits", "short_entries", "short_exits")


def reference_positions(le, lx, se, sx, live) -> np.ndarray:
    """Unit positions straight from the documented rules, one symbol and one bar at a time."""
    n_bars, n_sym = live.shape
    out = np.zeros((n_bars, n_sym))
    for k in range(n_sym):
        held = 0
        for t in range(n_bars):
            if not live[t, k]:
                continue  # no price: signals ignored, state kept, target 0
            long_in = bool(le[t, k]) and not lx[t, k]  # same side: the exit wins
            short_in = bool(se[t, k]) and not sx[t, k]
            if long_in and short_in:  # opposite entries cancel
                long_in = short_in = False
            if held == 1 and lx[t, k]:  # exits first
                held = 0
            if held == -1 and sx[t, k]:
                held = 0
            if held == 0 and long_in:  # then an entry opens when flat
                held = 1
            elif held == 0 and short_in:
                held = -1
            out[t, k] = held
    return out


def _bars(close: np.ndarray) -> pl.DataFrame:
    """Long bars from a (n_bars, n_symbols) close array; NaN = no bar for that symbol."""
    n, k = close.shape
    ts = [dt.datetime(2021, 1, 4, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(n)]
    rows = [
        {"symbol": f"S{j}", "ts": ts[i], "open": c, "high": c, "low": c, "close": c}
        for i in range(n)
        for j in range(k)
        if np.isfinite(c := float(close[i, j]))
    ]
    return pl.DataFrame(rows).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))


def _long(bars: pl.DataFrame, values: np.ndarray, name: str) -> pl.DataFrame:
    """A signal frame with one row per (symbol, ts) of the full grid, bars or not."""
    ts = bars["ts"].unique().sort()
    symbols = sorted(bars["symbol"].unique().to_list())
    return pl.DataFrame(
        {
            "symbol": [s for _ in range(ts.len()) for s in symbols],
            "ts": pl.Series([t for t in ts for _ in symbols], dtype=ts.dtype),
            name: values.reshape(-1),
        }
    )


@st.composite
def signal_panels(draw):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    density = draw(st.sampled_from([0.05, 0.2, 0.5]))
    le, lx, se, sx = (rng.random((n, k)) < density for _ in range(4))
    if draw(st.booleans()):
        se[:] = sx[:] = False
    live = rng.random((n, k)) >= draw(st.sampled_from([0.0, 0.2]))
    live[rng.integers(0, n, k), np.arange(k)] = True  # every symbol has a bar somewhere
    close = np.where(live, 10.0 + rng.random((n, k)), np.nan)
    return le, lx, se, sx, live, close


@given(signal_panels())
def test_kernel_matches_reference_loop(case):
    # The panel has no row for a timestamp no symbol trades on: drop those from the case.
    le, lx, se, sx, live, close = (a[case[4].any(axis=1)] for a in case)
    got = entry_exit_targets(bars_panel(_bars(close)), le, lx, se, sx)
    np.testing.assert_array_equal(got, reference_positions(le, lx, se, sx, live))


@given(signal_panels(), st.booleans())
def test_frames_polars_and_pandas_match_reference(case, as_pandas):
    le, lx, se, sx, live, close = (a[case[4].any(axis=1)] for a in case)
    bars = _bars(close)
    sig = {n: _long(bars, a, n) for n, a in zip(NAMES, (le, lx, se, sx), strict=True)}
    if as_pandas:
        bars_in, sig = bars.to_pandas(), {n: f.to_pandas() for n, f in sig.items()}
    else:
        bars_in = bars
    out = entry_exit_positions(
        bars_in, sig["entries"], sig["exits"], **{n: sig[n] for n in ("short_entries", "short_exits")}
    )
    if as_pandas:
        assert type(out).__name__ == "DataFrame" and not isinstance(out, pl.DataFrame)
        out = to_polars(out)[0]  # pl.from_pandas trips pandas 3's tz-aware .values deprecation
    assert out.columns == ["symbol", "ts", "position"] and out.height == bars.height
    expect = _long(bars, reference_positions(le, lx, se, sx, live), "position")
    joined = out.join(expect, on=["symbol", "ts"], suffix="_ref")
    assert joined.height == bars.height
    np.testing.assert_array_equal(joined["position"].to_numpy(), joined["position_ref"].to_numpy())


@pytest.mark.parametrize(
    ("le", "lx", "se", "sx", "expect"),
    [
        # enter on bar 0, exit on bar 2 (the engine buys at bar 1 and sells at bar 3)
        ("10000", "00100", "", "", [1, 1, 0, 0, 0]),
        # a repeated entry while long does nothing; exits=None holds to the end
        ("11010", "", "", "", [1, 1, 1, 1, 1]),
        # entry and exit on one bar: the exit wins, flat or long
        ("11000", "01000", "", "", [1, 0, 0, 0, 0]),
        ("10100", "00100", "", "", [1, 1, 0, 0, 0]),
        # long exit and short entry on one bar reverse; a long entry while short is ignored
        ("10010", "01000", "01000", "00001", [1, -1, -1, -1, 0]),
        # long and short entries on one bar cancel
        ("11000", "", "11000", "", [0, 0, 0, 0, 0]),
        # short only
        ("", "", "01000", "00010", [0, -1, -1, 0, 0]),
    ],
)
def test_documented_rules_by_hand(le, lx, se, sx, expect):
    def arr(s: str) -> np.ndarray:
        return np.array([[c == "1"] for c in (s or "00000")])

    close = np.full((5, 1), 10.0)
    got = entry_exit_targets(bars_panel(_bars(close)), arr(le), arr(lx), arr(se), arr(sx))
    np.testing.assert_array_equal(got[:, 0], expect)


def test_gap_keeps_state_and_ignores_its_signals():
    close = np.array([[10.0], [10.0], [np.nan], [10.0], [10.0]])
    close = np.hstack([close, np.full((5, 1), 10.0)])  # a second symbol keeps bar 2 in the calendar
    le = np.array([[1, 0], [0, 0], [0, 0], [0, 0], [0, 0]], dtype=bool)
    lx = np.array([[0, 0], [0, 0], [1, 0], [0, 0], [0, 0]], dtype=bool)
    got = entry_exit_targets(bars_panel(_bars(close)), le, lx)
    np.testing.assert_array_equal(got[:, 0], [1, 1, 0, 1, 1])


def _sma_cross_signals(bars: pl.DataFrame, fast: int, slow: int) -> pl.DataFrame:
    """sma_cross written as crossing events from SMAs computed here (not with the library's code)."""
    return (
        bars.sort("symbol", "ts")
        .with_columns(
            f=pl.col("close").rolling_mean(fast).over("symbol"),
            s=pl.col("close").rolling_mean(slow).over("symbol"),
        )
        .with_columns(
            up=(pl.col("f") > pl.col("s")).fill_null(False), down=(pl.col("f") < pl.col("s")).fill_null(False)
        )
        .with_columns(
            was_up=pl.col("up").shift(1).over("symbol").fill_null(False),
            was_down=pl.col("down").shift(1).over("symbol").fill_null(False),
        )
        .select(
            "symbol",
            "ts",
            entries=pl.col("up") & ~pl.col("was_up"),
            exits=~pl.col("up") & pl.col("was_up"),
            short_entries=pl.col("down") & ~pl.col("was_down"),
            short_exits=~pl.col("down") & pl.col("was_down"),
        )
    )


@pytest.mark.parametrize("short", [0, 1])
def test_sma_cross_as_entry_exit_signals_equals_sma_cross(bars, short):
    """Late listings and a delisting included; costs and a stop so the fills carry weight."""
    kw = {"commission_bps": 5.0, "slippage_bps": 2.0, "stop_loss": 0.08}
    sig = _sma_cross_signals(bars, 5, 20)
    shorts = {"short_entries": sig.select("symbol", "ts", "short_entries"), "short_exits": sig} if short else {}
    pos = strategy_positions("sma_cross", bars, fast=5, slow=20, short=short)
    assert bool((pos["position"] < 0).any()) == bool(short)
    from_signals = entry_exit_positions(bars, sig.select("symbol", "ts", "entries"), sig, **shorts)
    np.testing.assert_array_equal(
        from_signals.sort("symbol", "ts")["position"].to_numpy(), pos.sort("symbol", "ts")["position"].to_numpy()
    )
    want = run_backtest(bars, pos, **kw)
    got = run_backtest(bars, entries=sig.select("symbol", "ts", "entries"), exits=sig, **shorts, **kw)
    assert got.fills.height > 0
    np.testing.assert_array_equal(got.returns["return"].to_numpy(), want.returns["return"].to_numpy())
    assert got.fills.equals(want.fills)
    assert got.trades.equals(want.trades)
    assert got.metrics == want.metrics


def test_run_backtest_signal_forms_agree(bars):
    """Frames (polars, pandas), bars columns and arrays are the same signals."""
    sig = _sma_cross_signals(bars, 5, 20)
    with_cols = bars.join(sig, on=["symbol", "ts"])
    a = run_backtest(bars, entries=sig, exits=sig, commission_bps=5.0)
    b = run_backtest(bars.to_pandas(), entries=sig.to_pandas(), exits=sig.to_pandas(), commission_bps=5.0)
    c = run_backtest(with_cols, entries="entries", exits="exits", commission_bps=5.0)
    panel = bars_panel(with_cols, extra_columns=["entries", "exits"])
    d = run_backtest(bars, entries=panel.extra["entries"] > 0, exits=panel.extra["exits"], commission_bps=5.0)
    e = run_backtest(bars, entry_exit_positions(with_cols, "entries", "exits"), commission_bps=5.0)
    for other in (b, c, d, e):
        np.testing.assert_array_equal(other.returns["return"].to_numpy(), a.returns["return"].to_numpy())
    assert a.metrics["fill_count"] > 0


def test_signal_errors(bars):
    sig = _sma_cross_signals(bars, 5, 20)
    pos = strategy_positions("sma_cross", bars)
    with pytest.raises(DataError, match="not both"):
        run_backtest(bars, pos, entries=sig)
    with pytest.raises(DataError, match="positions or entry/exit"):
        run_backtest(bars)
    with pytest.raises(DataError, match="exits alone"):
        run_backtest(bars, exits=sig)
    with pytest.raises(DataError, match="shape"):
        run_backtest(bars, entries=np.zeros((3, 3), dtype=bool))
    with pytest.raises(DataError, match="value columns"):
        entry_exit_positions(bars, sig.rename({"entries": "buy"}))
    with pytest.raises(DataError, match="boolean or numeric"):
        entry_exit_positions(bars, sig.select("symbol", "ts", entries=pl.lit("yes")))
    with pytest.raises(DataError, match="not in the bars"):
        entry_exit_positions(bars, "nope")
    with pytest.raises(DataError, match="symbol, ts"):
        entry_exit_positions(bars, sig.drop("symbol"))
    with pytest.raises(ConfigError, match="unknown backtest setting"):
        run_backtest(bars, entries=sig, short_entry=sig)
