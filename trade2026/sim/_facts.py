"""Stylized facts of asset returns (Cont 2001) for any bars table, each with a pass/fail band.

Returns are log close-to-close returns within a segment: a (symbol, UTC date) for intraday bars,
a symbol for daily bars, so overnight gaps and symbol boundaries never make a return. Lagged
statistics only pair returns of the same segment.

Facts and bands (R. Cont, "Empirical properties of asset returns: stylized facts and statistical
issues", Quantitative Finance 1, 2001):

=============================  ==========================================  =======================
fact                           statistic                                   band
=============================  ==========================================  =======================
absence of autocorrelation     max abs ACF of returns, lags 2..10           <= 0.1
  (microstructure, lag 1)      ACF of returns at lag 1                      [-0.3, 0.2]
heavy tails                    excess kurtosis                              >= 1
tail index                     Hill estimator, top 5% of abs returns        [2, 5]
aggregational Gaussianity      excess kurtosis at h bars / at 1 bar         < 1 for every h > 1
volatility clustering          min ACF of abs returns, lags 1..10           > 2 / sqrt(n)
slow decay                     ACF of abs returns at lag 10 / lag 1         >= 0.2
conditional heavy tails        excess kurtosis of GARCH(1,1) residuals      > 0
volume-volatility correlation  corr(volume, abs return)                     > 0.1
=============================  ==========================================  =======================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from trade2026.errors import DataError

MIN_RETURNS = 200


@dataclass(frozen=True)
class Fact:
    """One stylized fact: its statistic's value and the band it must fall in."""

    name: str
    statistic: str
    value: float
    lower: float | None
    upper: float | None
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FactsReport:
    """Stylized facts of one bars table: the facts, the number of returns and supporting curves."""

    facts: list[Fact]
    n_returns: int
    n_segments: int
    acf: list[float] = field(default_factory=list)
    acf_abs: list[float] = field(default_factory=list)
    excess_kurtosis_by_horizon: dict[int, float] = field(default_factory=dict)

    @property
    def kurtosis_by_horizon(self) -> dict[int, float]:
        """Pearson kurtosis (normal = 3, the definition of every ``kurtosis`` in Trade2026) by horizon.

        The facts test excess kurtosis (:attr:`excess_kurtosis_by_horizon`, normal = 0); this is the
        same numbers plus 3.
        """
        return {h: k + 3.0 for h, k in self.excess_kurtosis_by_horizon.items()}

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.facts)

    @property
    def n_passed(self) -> int:
        return sum(f.passed for f in self.facts)

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame([f.to_dict() for f in self.facts])

    def to_dict(self) -> dict[str, Any]:
        return {
            "facts": [f.to_dict() for f in self.facts],
            "passed": self.passed,
            "n_passed": self.n_passed,
            "n_facts": len(self.facts),
            "n_returns": self.n_returns,
            "n_segments": self.n_segments,
            "acf": self.acf,
            "acf_abs": self.acf_abs,
            "excess_kurtosis_by_horizon": {str(k): v for k, v in self.excess_kurtosis_by_horizon.items()},
            "kurtosis_by_horizon": {str(k): v for k, v in self.kurtosis_by_horizon.items()},
        }


def segment_returns(bars: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(returns, volume, segment id) from a bars frame, pandas or polars, sorted by (symbol, ts)."""
    df = bars if isinstance(bars, pl.DataFrame) else pl.from_pandas(bars)
    missing = [c for c in ("symbol", "ts", "close") if c not in df.columns]
    if missing:
        msg = f"bars need columns symbol, ts, close (missing {', '.join(missing)}); pass a bars table"
        raise DataError(msg)
    has_vol = "volume" in df.columns
    df = df.select("symbol", "ts", "close", *(["volume"] if has_vol else [])).sort("symbol", "ts")
    step = df.group_by("symbol").agg(pl.col("ts").diff().median().alias("d"))["d"].drop_nulls()
    intraday = step.len() > 0 and min(step.to_list()).total_seconds() < 43_200
    keys = [pl.col("symbol")]
    if intraday:
        keys.append(pl.col("ts").dt.date())
    df = df.with_columns(pl.struct(keys).rank("dense").cast(pl.Int64).alias("_seg"))
    df = df.with_columns((pl.col("close").log() - pl.col("close").log().shift(1).over("_seg")).alias("_r")).filter(
        pl.col("_r").is_not_null() & pl.col("_r").is_finite()
    )
    r = df["_r"].to_numpy().astype(np.float64)
    v = df["volume"].to_numpy().astype(np.float64) if has_vol else np.full(r.size, np.nan)
    seg = df["_seg"].to_numpy()
    return r, v, seg


def segmented_acf(x: np.ndarray, seg: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation at lags 1..max_lag using only pairs inside one segment."""
    xc = x - x.mean()
    var = float(np.mean(xc * xc))
    out = np.full(max_lag, np.nan)
    if var == 0:
        return out
    for k in range(1, max_lag + 1):
        same = seg[k:] == seg[:-k]
        if same.sum() < 10:
            break
        out[k - 1] = float(np.mean(xc[k:][same] * xc[:-k][same]) / var)
    return out


def excess_kurtosis(x: np.ndarray) -> float:
    x = x - x.mean()
    m2 = float(np.mean(x * x))
    return float(np.mean(x**4) / (m2 * m2) - 3.0) if m2 > 0 else float("nan")


def hill_tail_index(x: np.ndarray, frac: float = 0.05) -> float:
    """Hill (1975) estimator of the tail index of ``|x|`` from its largest ``frac`` share."""
    a = np.sort(np.abs(x[x != 0]))[::-1]
    k = max(10, int(frac * a.size))
    if a.size <= k + 1:
        return float("nan")
    return float(1.0 / np.mean(np.log(a[:k] / a[k])))


def aggregate(r: np.ndarray, seg: np.ndarray, h: int) -> np.ndarray:
    """Non-overlapping sums of ``h`` consecutive returns inside each segment."""
    if h == 1:
        return r
    out = []
    bounds = np.flatnonzero(np.diff(seg)) + 1
    for part in np.split(r, bounds):
        m = part.size // h
        if m:
            out.append(part[: m * h].reshape(m, h).sum(axis=1))
    return np.concatenate(out) if out else np.array([])


def stylized_facts(bars: Any, *, horizons: tuple[int, ...] = (1, 5, 15, 30), max_lag: int = 20) -> FactsReport:
    """Compute the stylized facts of a bars table (see the module docstring for bands).

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Columns symbol, ts, close and (for the volume fact) volume; any bar frequency.
    horizons : tuple of int
        Aggregation horizons in bars for aggregational Gaussianity.
    """
    from trade2026.sim._garch import fit_garch

    r, v, seg = segment_returns(bars)
    n = r.size
    if n < MIN_RETURNS:
        msg = (
            f"need at least {MIN_RETURNS} returns for the stylized facts, got {n}; use a longer table or run more days"
        )
        raise DataError(msg)
    acf = segmented_acf(r, seg, max_lag)
    acf_abs = segmented_acf(np.abs(r), seg, max_lag)
    sig = 2.0 / np.sqrt(n)
    kurt = {h: excess_kurtosis(x) for h in horizons if (x := aggregate(r, seg, h)).size >= 30}
    facts = [
        _fact("no_autocorrelation", "max |acf(k)|, k=2..10", float(np.nanmax(np.abs(acf[1:10]))), None, 0.1),
        _fact("acf_lag1", "acf(1)", float(acf[0]), -0.3, 0.2),
        _fact("heavy_tails", "excess kurtosis", kurt[horizons[0]], 1.0, None),
        _fact("tail_index", "Hill index, top 5%", hill_tail_index(r), 2.0, 5.0),
    ]
    k1 = kurt[horizons[0]]
    ratios = [kurt[h] / k1 for h in horizons[1:] if h in kurt] if k1 > 0 else []
    facts.append(
        _fact(
            "aggregational_gaussianity",
            "max kurt(h)/kurt(1), h>1",
            max(ratios) if ratios else float("nan"),
            None,
            1.0,
            upper_open=True,
        )
    )
    facts.append(
        _fact(
            "volatility_clustering",
            "min acf(|r|, k), k=1..10",
            float(np.nanmin(acf_abs[:10])),
            sig,
            None,
            lower_open=True,
        )
    )
    decay = float(acf_abs[9] / acf_abs[0]) if acf_abs[0] > 0 else float("nan")
    facts.append(_fact("slow_decay", "acf(|r|,10)/acf(|r|,1)", decay, 0.2, None))
    try:
        g = fit_garch(r)
        resid_kurt = excess_kurtosis(g.standardized_residuals(r))
    except (ValueError, FloatingPointError):
        resid_kurt = float("nan")
    facts.append(
        _fact("conditional_heavy_tails", "GARCH(1,1) residual excess kurtosis", resid_kurt, 0.0, None, lower_open=True)
    )
    vv = float(np.corrcoef(v, np.abs(r))[0, 1]) if np.isfinite(v).all() and v.std() > 0 else float("nan")
    facts.append(_fact("volume_volatility", "corr(volume, |r|)", vv, 0.1, None, lower_open=True))
    return FactsReport(
        facts=facts,
        n_returns=n,
        n_segments=int(np.unique(seg).size),
        acf=[float(x) for x in acf],
        acf_abs=[float(x) for x in acf_abs],
        excess_kurtosis_by_horizon={int(h): float(k) for h, k in kurt.items()},
    )


def _fact(
    name: str,
    statistic: str,
    value: float,
    lower: float | None,
    upper: float | None,
    *,
    lower_open: bool = False,
    upper_open: bool = False,
) -> Fact:
    ok = bool(np.isfinite(value))
    if ok and lower is not None:
        ok = value > lower if lower_open else value >= lower
    if ok and upper is not None:
        ok = value < upper if upper_open else value <= upper
    return Fact(
        name,
        statistic,
        float(value),
        None if lower is None else float(lower),
        None if upper is None else float(upper),
        ok,
    )
