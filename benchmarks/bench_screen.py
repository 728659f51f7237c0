"""Indicator and screen speed: every indicator as polars expressions versus straightforward pandas.

On the sample universe (default 500 symbols x 10 years of daily bars):

1. All indicators of ``trade2026.features.indicators`` (one name per family, default parameters)
   computed by ``indicators.compute`` over the whole panel, versus a straightforward pandas
   implementation of the same definitions: a loop over symbols with ``rolling``/``ewm``/``shift``
   (and ``rolling().apply`` for CCI's mean deviation). The two are checked to agree.
2. A screen with a composite alpha rank on the latest date (``screener.screen``), and a
   ``screen_history`` over the last year, for scale.

Run: python benchmarks/bench_screen.py [--symbols 500] [--years 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from typing import Any

import numpy as np
import pandas as pd


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# -- the pandas peer: one symbol at a time, the textbook way ----------------------------------------
def _seeded(x: pd.Series, n: int, alpha: float) -> pd.Series:
    seed = x.rolling(n).mean()
    first = seed.first_valid_index()
    y = x.copy()
    if first is None:
        return y * np.nan
    pos = x.index.get_loc(first)
    y.iloc[:pos] = np.nan
    y.iloc[pos] = seed.iloc[pos]
    return y.ewm(alpha=alpha, adjust=False).mean()


def _wilder(x: pd.Series, n: int) -> pd.Series:
    return _seeded(x, n, 1.0 / n)


def _ema(x: pd.Series, n: int) -> pd.Series:
    return _seeded(x, n, 2.0 / (n + 1))


def _wma(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.full(x.size, np.nan)
    if x.size >= w.size:
        out[w.size - 1 :] = np.lib.stride_tricks.sliding_window_view(x, w.size) @ w / w.sum()
    return out


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    return a / b.where(b != 0)


def pandas_symbol(g: pd.DataFrame, bench: pd.Series) -> dict[str, pd.Series]:
    o, h, lo, c, v = (g[k] for k in ("open", "high", "low", "close", "volume"))
    r = c / c.shift(1) - 1
    tp = (h + lo + c) / 3
    pc = c.shift(1)
    tr = (pd.concat([h, pc], axis=1).max(axis=1) - pd.concat([lo, pc], axis=1).min(axis=1)).where(pc.notna())
    up, down = h - h.shift(1), lo.shift(1) - lo
    pdm = up.where((up > down) & (up > 0), 0.0).where(up.notna())
    mdm = down.where((down > up) & (down > 0), 0.0).where(up.notna())
    atr14 = _wilder(tr, 14)
    pdi, mdi = 100 * _div(_wilder(pdm, 14), atr14), 100 * _div(_wilder(mdm, 14), atr14)
    d = c.diff()
    gain, loss = _wilder(d.clip(lower=0).where(d.notna()), 14), _wilder((-d).clip(lower=0).where(d.notna()), 14)
    mid, sd = c.rolling(20).mean(), c.rolling(20).std(ddof=0)
    bu, bl = mid + 2 * sd, mid - 2 * sd
    hh14, ll14 = h.rolling(14).max(), lo.rolling(14).min()
    k14 = 100 * _div(c - ll14, hh14 - ll14)
    macd = _ema(c, 12) - _ema(c, 26)
    tpm = tp.rolling(20).mean()
    md = tp.rolling(20).apply(lambda w: np.abs(w - w.mean()).mean(), raw=True)
    flow = tp * v
    pos = flow.where(tp > tp.shift(1), 0.0).where(tp.shift(1).notna())
    neg = flow.where(tp < tp.shift(1), 0.0).where(tp.shift(1).notna())
    ps, ns = pos.rolling(14).sum(), neg.rolling(14).sum()
    w = np.arange(1, 21, dtype=float)
    lr = np.log(c / c.shift(1))
    b = bench
    return {
        "sma_20": c.rolling(20).mean(),
        "ema_20": _ema(c, 20),
        "wma_20": pd.Series(_wma(c.to_numpy(), w), index=c.index),
        "ppo_12_26": 100 * _div(_ema(c, 12) - _ema(c, 26), _ema(c, 26)),
        "rsi_14": 100 * gain / (gain + loss).where(gain + loss != 0),
        "macd_12_26_9": macd,
        "macd_signal_12_26_9": _ema(macd, 9),
        "macd_hist_12_26_9": macd - _ema(macd, 9),
        "stoch_k_14": k14,
        "stoch_d_14_3": k14.rolling(3).mean(),
        "willr_14": -100 * _div(hh14 - c, hh14 - ll14),
        "cci_20": _div(tp - tpm, 0.015 * md),
        "mfi_14": 100 * _div(ps, ps + ns),
        "roc_10": 100 * (c / c.shift(10) - 1),
        "mom_252": c / c.shift(252) - 1,
        "ret_1": r,
        "gap": o / pc - 1,
        "bb_upper_20_2": bu,
        "bb_lower_20_2": bl,
        "bb_pctb_20_2": _div(c - bl, bu - bl),
        "bb_width_20_2": _div(bu - bl, mid),
        "atr_14": atr14,
        "natr_14": 100 * atr14 / c,
        "plus_di_14": pdi,
        "minus_di_14": mdi,
        "adx_14": _wilder(100 * _div((pdi - mdi).abs(), pdi + mdi), 14),
        "hh_20": h.rolling(20).max(),
        "ll_20": lo.rolling(20).min(),
        "dist_high_252": c / h.rolling(252).max() - 1,
        "dist_low_252": c / lo.rolling(252).min() - 1,
        "drawdown": c / c.cummax() - 1,
        "obv": (np.sign(c.diff()) * v).fillna(0.0).cumsum(),
        "vwap_20": _div((tp * v).rolling(20).sum(), v.rolling(20).sum()),
        "volz_20": _div(v - v.rolling(20).mean(), v.rolling(20).std()),
        "adv_20": (c * v).rolling(20).mean(),
        "amihud_21": 1e6 * (r.abs() / (c * v)).rolling(21).mean(),
        "vol_21": lr.rolling(21).std() * math.sqrt(252),
        "parkinson_21": np.sqrt((np.log(h / lo) ** 2).rolling(21).sum() / (4 * 21 * math.log(2))) * math.sqrt(252),
        "retz_20": _div(r - r.rolling(20).mean(), r.rolling(20).std()),
        # pandas' rolling skew/kurt are the bias-corrected G1/G2; convert to the population g1/g2
        "skew_63": r.rolling(63).skew() * (63 - 2) / math.sqrt(63 * 62),
        "kurt_63": r.rolling(63).kurt() * (61 * 60) / (62 * 64) - 6 / 64,
        "beta_63": r.rolling(63).cov(b) / b.rolling(63).var(),
        "corr_63": r.rolling(63).corr(b),
    }


def pandas_all(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
    ret = df.groupby("symbol")["close"].pct_change(fill_method=None)
    bench = ret.groupby(df["ts"]).mean()
    parts = []
    for _, g in df.groupby("symbol", sort=True):
        cols = pandas_symbol(g, g["ts"].map(bench))
        parts.append(pd.concat([g[["symbol", "ts"]], pd.DataFrame(cols)], axis=1))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import polars as pl

    from trade2026.datasets import generate
    from trade2026.features import indicators as ind
    from trade2026.screener import screen, screen_history

    t0 = time.perf_counter()
    bars = generate(symbols=args.symbols, years=args.years, seed=0, intraday_symbols=0).bars_1d
    gen = time.perf_counter() - t0
    names = ind.names()
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, polars {pl.__version__}, pandas {pd.__version__}"
    )
    print(f"panel: {args.symbols} symbols x {args.years} years = {bars.height:,} bars (generated in {gen:.1f}s)")
    print(f"indicators: {len(names)} ({len(ind.INDICATORS)} families)")

    t_pl, out_pl = best(lambda: ind.compute(bars, names), args.repeat)
    pdf = bars.to_pandas(use_pyarrow_extension_array=False)
    t_pd, out_pd = best(lambda: pandas_all(pdf), 1 if args.repeat > 1 else args.repeat)

    worst = 0.0
    got = out_pl.sort("symbol", "ts")
    for n in names:
        a = got[n].fill_null(np.nan).to_numpy()
        b = out_pd[n].to_numpy(dtype=float)
        both = ~np.isnan(a) & ~np.isnan(b)
        if both.any():
            # relative difference, floored at 1e-9 of the column's mean magnitude so that values that
            # are zero up to rounding (an MFI of 1e-14 against 0) do not dominate
            floor = 1e-9 * float(np.mean(np.abs(b[both])))
            rel = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), floor)
            worst = max(worst, float(np.max(rel)))
    print(f"all indicators, polars expressions : {t_pl:8.3f} s  (best of {args.repeat})")
    print(f"all indicators, pandas per symbol  : {t_pd:8.3f} s  (one run)")
    print(f"speed-up polars vs pandas          : {t_pd / t_pl:8.1f} x   (agree to {worst:.1e} relative)")

    rank = "0.5*zscore(mom_252_21) - 0.5*zscore(vol_63)"
    t_s, res = best(lambda: screen(bars, "rsi_14 < 50 and close > sma_200", rank=rank, top=20), args.repeat)
    print(
        f"screen 'rsi_14 < 50 and close > sma_200' --rank ... --top 20 on the latest date: {t_s:.3f} s ({res.matched} of {res.universe} match)"
    )
    last = bars["ts"].max()
    start = (last - pd.Timedelta(days=365)).date()
    t_h, hist = best(lambda: screen_history(bars, "rsi_14 < 30", start=start), 1)
    print(f"screen --history 'rsi_14 < 30' over the last year ({hist.daily.height} days): {t_h:.3f} s")


if __name__ == "__main__":
    main()
