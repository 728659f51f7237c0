"""Indicators against independent, straightforward loop implementations of their definitions.

Each oracle below is written from the cited definition as a plain Python/numpy loop over one
symbol's bars, and the polars expression must match it to 1e-9 relative on the sample universe.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from trade2026.datasets import generate
from trade2026.errors import InputError, NotFoundError
from trade2026.features import indicators as ind

NAN = float("nan")


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return generate(symbols=5, years=2, seed=3, intraday_symbols=1, intraday_days=1).bars_1d


# -- loop oracles ---------------------------------------------------------------------------------
def _rolling(x: np.ndarray, n: int, f) -> np.ndarray:
    out = np.full(len(x), NAN)
    for t in range(n - 1, len(x)):
        w = x[t - n + 1 : t + 1]
        if not np.isnan(w).any():
            out[t] = f(w)
    return out


def _seeded(x: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """Recursive average seeded with the mean of the first n defined inputs (Wilder / EMA)."""
    out = np.full(len(x), NAN)
    first = next(i for i in range(len(x)) if not math.isnan(x[i]))
    s = first + n - 1
    if s >= len(x):
        return out
    out[s] = sum(x[first : s + 1]) / n
    for t in range(s + 1, len(x)):
        out[t] = out[t - 1] + alpha * (x[t] - out[t - 1])
    return out


def _lag(x: np.ndarray, k: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    if k < len(x):
        out[k:] = x[: len(x) - k]
    return out


def _safe(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den == 0, NAN, num / den)


def o_sma(c, n):
    return _rolling(c, n, lambda w: sum(w) / n)


def o_ema(c, n):
    return _seeded(c, n, 2 / (n + 1))


def o_wma(c, n):
    return _rolling(c, n, lambda w: sum((i + 1) * w[i] for i in range(n)) / (n * (n + 1) / 2))


def o_rsi(c, n):
    d = c - _lag(c, 1)
    gain = np.where(np.isnan(d), NAN, np.maximum(d, 0))
    loss = np.where(np.isnan(d), NAN, np.maximum(-d, 0))
    g, lo = _seeded(gain, n, 1 / n), _seeded(loss, n, 1 / n)
    out = np.full(len(c), NAN)
    for t in range(len(c)):
        if math.isnan(g[t]) or g[t] + lo[t] == 0:
            continue
        out[t] = 100.0 if lo[t] == 0 else 100 - 100 / (1 + g[t] / lo[t])
    return out


def o_macd(c, f, s, sig):
    line = o_ema(c, f) - o_ema(c, s)
    signal = _seeded(line, sig, 2 / (sig + 1))
    return line, signal, line - signal


def o_tr(h, lw, c):
    pc = _lag(c, 1)
    tr = np.array([max(h[t], pc[t]) - min(lw[t], pc[t]) for t in range(len(c))])
    tr[0] = NAN
    return tr


def o_adx(h, lw, c, n):
    tr = o_tr(h, lw, c)
    pdm, mdm = np.full(len(c), NAN), np.full(len(c), NAN)
    for t in range(1, len(c)):
        up, down = h[t] - h[t - 1], lw[t - 1] - lw[t]
        pdm[t] = up if up > down and up > 0 else 0.0
        mdm[t] = down if down > up and down > 0 else 0.0
    atr_ = _seeded(tr, n, 1 / n)
    pdi = 100 * _seeded(pdm, n, 1 / n) / atr_
    mdi = 100 * _seeded(mdm, n, 1 / n) / atr_
    dx = 100 * np.abs(pdi - mdi) / (pdi + mdi)
    return pdi, mdi, _seeded(dx, n, 1 / n)


def o_stoch(h, lw, c, n):
    hh_ = _rolling(h, n, max)
    ll_ = _rolling(lw, n, min)
    return 100 * (c - ll_) / (hh_ - ll_), -100 * (hh_ - c) / (hh_ - ll_)


def o_cci(h, lw, c, n):
    tp = (h + lw + c) / 3
    out = np.full(len(c), NAN)
    for t in range(n - 1, len(c)):
        w = tp[t - n + 1 : t + 1]
        m = sum(w) / n
        md = sum(abs(x - m) for x in w) / n
        out[t] = (tp[t] - m) / (0.015 * md)
    return out


def o_mfi(h, lw, c, v, n):
    tp = (h + lw + c) / 3
    out = np.full(len(c), NAN)
    for t in range(n, len(c)):
        pos = neg = 0.0
        for k in range(t - n + 1, t + 1):
            if tp[k] > tp[k - 1]:
                pos += tp[k] * v[k]
            elif tp[k] < tp[k - 1]:
                neg += tp[k] * v[k]
        out[t] = 100 * pos / (pos + neg)
    return out


def o_obv(c, v):
    out = np.zeros(len(c))
    for t in range(1, len(c)):
        out[t] = out[t - 1] + np.sign(c[t] - c[t - 1]) * v[t]
    return out


def o_vwap(h, lw, c, v, n):
    tp = (h + lw + c) / 3
    out = np.full(len(c), NAN)
    for t in range(n - 1, len(c)):
        s = slice(t - n + 1, t + 1)
        out[t] = sum(tp[s] * v[s]) / sum(v[s])
    return out


def o_zscore(x, n):
    def z(w):
        m = sum(w) / n
        sd = math.sqrt(sum((y - m) ** 2 for y in w) / (n - 1))
        return (w[-1] - m) / sd

    return _rolling(x, n, z)


def o_moment(x, n, kind):
    def f(w):
        m = sum(w) / n
        m2 = sum((y - m) ** 2 for y in w) / n
        if kind == "skew":
            return sum((y - m) ** 3 for y in w) / n / m2**1.5
        return sum((y - m) ** 4 for y in w) / n / m2**2 - 3

    return _rolling(x, n, f)


def o_std(x, n, ddof):
    def f(w):
        m = sum(w) / n
        return math.sqrt(sum((y - m) ** 2 for y in w) / (n - ddof))

    return _rolling(x, n, f)


def oracle(name: str, g: dict[str, np.ndarray], bench: np.ndarray) -> np.ndarray:
    o, h, lw, c, v = g["open"], g["high"], g["low"], g["close"], g["volume"]
    r = c / _lag(c, 1) - 1
    fam, params = ind.parse_name(name)[0].family, ind.parse_name(name)[1]
    n = params[0] if params else None
    if fam == "sma":
        return o_sma(c, n)
    if fam == "ema":
        return o_ema(c, n)
    if fam == "wma":
        return o_wma(c, n)
    if fam == "ppo":
        return 100 * (o_ema(c, params[0]) - o_ema(c, params[1])) / o_ema(c, params[1])
    if fam == "rsi":
        return o_rsi(c, n)
    if fam.startswith("macd"):
        line, sig, hist = o_macd(c, *params)
        return {"macd": line, "macd_signal": sig, "macd_hist": hist}[fam]
    if fam == "stoch_k":
        return o_stoch(h, lw, c, n)[0]
    if fam == "stoch_d":
        return o_sma(o_stoch(h, lw, c, n)[0], params[1])
    if fam == "willr":
        return o_stoch(h, lw, c, n)[1]
    if fam == "cci":
        return o_cci(h, lw, c, n)
    if fam == "mfi":
        return o_mfi(h, lw, c, v, n)
    if fam == "roc":
        return 100 * (c / _lag(c, n) - 1)
    if fam == "mom":
        return _lag(c, params[1]) / _lag(c, n) - 1
    if fam == "ret":
        return c / _lag(c, n) - 1
    if fam == "gap":
        return o / _lag(c, 1) - 1
    if fam.startswith("bb_"):
        k = params[1]
        mid, sd = o_sma(c, n), o_std(c, n, 0)
        up, lo = mid + k * sd, mid - k * sd
        return {"bb_upper": up, "bb_lower": lo, "bb_pctb": (c - lo) / (up - lo), "bb_width": (up - lo) / mid}[fam]
    if fam == "atr":
        return _seeded(o_tr(h, lw, c), n, 1 / n)
    if fam == "natr":
        return 100 * _seeded(o_tr(h, lw, c), n, 1 / n) / c
    if fam in ("plus_di", "minus_di", "adx"):
        return dict(zip(("plus_di", "minus_di", "adx"), o_adx(h, lw, c, n), strict=True))[fam]
    if fam == "hh":
        return _rolling(h, n, max)
    if fam == "ll":
        return _rolling(lw, n, min)
    if fam == "dist_high":
        return c / _rolling(h, n, max) - 1
    if fam == "dist_low":
        return c / _rolling(lw, n, min) - 1
    if fam == "drawdown":
        if n is None:
            return c / np.maximum.accumulate(c) - 1
        return c / _rolling(c, n, max) - 1
    if fam == "obv":
        return o_obv(c, v)
    if fam == "vwap":
        return o_vwap(h, lw, c, v, n)
    if fam == "volz":
        return o_zscore(v, n)
    if fam == "retz":
        return o_zscore(r, n)
    if fam == "adv":
        return o_sma(c * v, n)
    if fam == "amihud":
        return 1e6 * o_sma(np.abs(r) / (c * v), n)
    if fam == "vol":
        return o_std(np.log(c / _lag(c, 1)), n, 1) * math.sqrt(252)
    if fam == "parkinson":
        return np.sqrt(_rolling(np.log(h / lw) ** 2, n, sum) / (4 * n * math.log(2))) * math.sqrt(252)
    if fam in ("skew", "kurt"):
        return o_moment(r, n, fam)
    if fam in ("beta", "corr"):
        out = np.full(len(c), NAN)
        for t in range(n - 1, len(c)):
            a, b = r[t - n + 1 : t + 1], bench[t - n + 1 : t + 1]
            if np.isnan(a).any() or np.isnan(b).any():
                continue
            ma, mb = sum(a) / n, sum(b) / n
            cov = sum((a - ma) * (b - mb)) / (n - 1)
            vb = sum((b - mb) ** 2) / (n - 1)
            va = sum((a - ma) ** 2) / (n - 1)
            out[t] = cov / vb if fam == "beta" else cov / math.sqrt(va * vb)
        return out
    raise AssertionError(f"no oracle for {name}")


NAMES = [
    *ind.names(),
    "sma_5",
    "ema_50",
    "rsi_2",
    "mom_252_21",
    "macd_hist_5_35_5",
    "bb_pctb_10_3",
    "stoch_d_5_5",
    "drawdown_63",
    "ret_5",
    "vol_63",
    "beta_21",
]


def test_registry_has_at_least_30_families() -> None:
    assert len(ind.INDICATORS) >= 30
    for i in ind.INDICATORS.values():
        assert i.summary, f"{i.family} has no docstring"
        assert ind.parse_name(i.example)[0] is i


@pytest.mark.parametrize("name", NAMES)
def test_matches_reference_definition(bars: pl.DataFrame, name: str) -> None:
    out = ind.compute(bars, [name])
    rets = bars.sort("symbol", "ts").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("symbol") - 1).alias("r")
    )
    bench = rets.group_by("ts").agg(pl.col("r").mean().alias("b"))
    checked = 0
    for sym in out["symbol"].unique().sort():
        g = out.filter(pl.col("symbol") == sym)
        arrays = {k: g[k].to_numpy() for k in ("open", "high", "low", "close", "volume")}
        b = g.select("ts").join(bench, on="ts", how="left")["b"].fill_null(NAN).to_numpy()
        want = oracle(name, arrays, b)
        got = g[name].fill_null(NAN).to_numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name} {sym} null pattern")
        ok = ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-12, err_msg=f"{name} {sym}")
        checked += int(ok.sum())
    assert checked > 0, f"{name}: no values to compare"


def test_benchmark_symbol_and_pandas_round_trip(bars: pl.DataFrame) -> None:
    sym = bars["symbol"].unique().sort()[0]
    out = ind.compute(bars, ["corr_21"], benchmark=sym)
    own = out.filter(pl.col("symbol") == sym)["corr_21"].drop_nulls()
    np.testing.assert_allclose(own.to_numpy(), 1.0, rtol=1e-9)
    pdf = ind.compute(bars.to_pandas(), ["rsi_14"])
    assert type(pdf).__module__.startswith("pandas")
    want = ind.compute(bars, ["rsi_14"])["rsi_14"].to_numpy()
    np.testing.assert_allclose(pdf["rsi_14"].to_numpy(dtype=float, na_value=np.nan), want, equal_nan=True)
    indexed = ind.compute(bars.to_pandas().set_index(["symbol", "ts"]), ["rsi_14"])  # a (symbol, ts) index
    np.testing.assert_allclose(indexed["rsi_14"].to_numpy(dtype=float, na_value=np.nan), want, equal_nan=True)
    with pytest.raises(NotFoundError, match="benchmark"):
        ind.compute(bars, ["beta_63"], benchmark="NOPE")


def test_no_look_ahead(bars: pl.DataFrame) -> None:
    """Changing bars after date D leaves every indicator on and before D unchanged."""
    cut = bars["ts"].sort()[bars.height // 2]
    future = pl.col("ts") > cut
    shocked = bars.with_columns(
        [
            pl.when(future).then(pl.col(c) * 1.7).otherwise(pl.col(c)).alias(c)
            for c in ("open", "high", "low", "close", "volume")
        ]
    )
    names = [n for n in ind.names() if not ind.INDICATORS[ind.parse_name(n)[0].family].needs_benchmark]
    names += ["beta_63", "corr_63"]
    a = ind.compute(bars, names).filter(pl.col("ts") <= cut)
    b = ind.compute(shocked, names).filter(pl.col("ts") <= cut)
    assert a.equals(b)


@pytest.mark.parametrize(
    ("name", "exc", "text"),
    [
        ("rsii_14", NotFoundError, "rsi_14"),
        ("sma200", NotFoundError, "sma_200"),
        ("rsi_0", InputError, "between"),
        ("rsi_14_3", InputError, "takes"),
        ("mom_21_252", InputError, "skip"),
        ("macd_26_12", InputError, "fast"),
        ("Bad-Name", InputError, "not an indicator name"),
    ],
)
def test_bad_names(name: str, exc: type[Exception], text: str) -> None:
    with pytest.raises(exc, match=text):
        ind.parse_name(name)


def test_defaults_and_aliases() -> None:
    assert ind.parse_name("rsi")[1] == (14,)
    assert ind.parse_name("macd_5_10")[1] == (5, 10, 9)
    assert ind.parse_name("drawdown")[1] == ()
    assert ind.suggest("clse") == ["close"]


def test_the_module_keeps_its_names() -> None:
    """The split into private modules keeps every public name of ``trade2026.features.indicators``."""
    assert all(callable(getattr(ind, n)) for n in ind.__all__ if n not in ("FIELDS", "INDICATORS"))
    assert len(ind.__all__) == 52 and ind.__all__ == sorted(ind.__all__, key=lambda n: (not n.isupper(), n))
    assert (ind.SYMBOL, ind.TS, ind.ANNUAL, ind.MAX_WINDOW) == ("symbol", "ts", 252, 5000)
    assert ind.FIELDS == ("open", "high", "low", "close", "volume")
    assert {i.fn for i in ind.INDICATORS.values()} <= {getattr(ind, n) for n in ind.__all__ if n.islower()}


def test_default_benchmark_is_the_core_equal_weight_universe() -> None:
    """beta_n/corr_n's default benchmark is trade2026.core's equal-weight index (one definition), also
    when a symbol skips a day: its return after the gap is not averaged in as a one-day return."""
    import datetime as dt

    import numpy as np
    import polars as pl

    from trade2026.core import equal_weight_index
    from trade2026.features._compute import _with_benchmark

    days = [dt.datetime(2024, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3, 4)]
    bars = pl.DataFrame(
        {
            "symbol": ["A"] * 4 + ["B"] * 3,
            "ts": [*days, days[0], days[1], days[3]],  # B skips the 3rd
            "close": [10.0, 11.0, 12.1, 12.1, 20.0, 22.0, 30.0],
        }
    )
    got = _with_benchmark(bars, None).filter(pl.col("symbol") == "A").sort("ts")
    idx = equal_weight_index(bars)["close"].to_numpy()
    want = idx[1:] / idx[:-1] - 1.0
    np.testing.assert_allclose(got["_bench_ret"].to_numpy()[1:], want)
    assert got["_bench_ret"][0] is None
