"""A Barra-like style factor model from daily bars and symbol metadata.

Exposures at day ``t`` use data up to ``t``'s close and explain returns on ``t+1``. Every day a
cross-sectional WLS (weights: square root of market cap, or equal without shares data) of returns
on a market intercept, sector dummies and standardised style exposures gives that day's factor
returns and specific returns. The sector returns are constrained to a zero cap-weighted sum so
the intercept is the market (Barra USE4 handbook, "country factor" constraint).

Style descriptors (raw, before standardisation):

- ``beta``: slope of the asset's daily returns on the cap-weighted market over ``beta_window``
  days; ``residual_volatility``: annualised standard deviation of that regression's residual.
- ``momentum``: log return from ``t - momentum_window`` to ``t - momentum_skip`` (12-1 months).
- ``reversal``: log return over the last ``reversal_window`` days (Barra's short-term reversal
  descriptor: a high value predicts a low next return, so its factor return tends to be negative).
- ``volatility``: annualised standard deviation of daily returns over ``vol_window`` days.
- ``liquidity``: log of the mean daily share turnover (volume / shares outstanding) over
  ``liquidity_window`` days, or of the mean dollar volume without shares data.
- ``amihud`` (not in the default set): log of Amihud's (2002) illiquidity, mean ``|r| / dollar volume``.
- ``size``: log market cap (close x shares outstanding); only with a ``shares_out`` column.

Each day the descriptors are winsorised at ``winsor`` robust (MAD-based) standard deviations and
standardised to a cap-weighted (or equal-weighted) mean of 0 and an equal-weighted standard
deviation of 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import (
    Panel,
    equal_weight_returns,
    panel_to_long,
    pivot,
    require_columns,
    simple_returns,
    to_polars,
)
from trade2026.errors import ConfigError, DataError
from trade2026.factors._linalg import BatchedWLS, batched_wls
from trade2026.factors._risk import factor_covariance, specific_variance

STYLE_FACTORS = ("beta", "momentum", "reversal", "volatility", "residual_volatility", "liquidity", "size")
ALL_STYLE_FACTORS = (*STYLE_FACTORS, "amihud")
_ANN = np.sqrt(252.0)


def _rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing ``window``-row sums of ``x`` (NaN treated as 0); row t sums rows t-window+1..t."""
    c = np.cumsum(np.nan_to_num(x), axis=0)
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    return out


def _rolling_mean_std(x: np.ndarray, window: int, min_obs: int) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(x).astype(np.float64)
    n = _rolling_sum(ok, window)
    s = _rolling_sum(x, window)
    ss = _rolling_sum(np.where(ok > 0, x, 0.0) ** 2, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        var = (ss - s * s / n) / (n - 1)
    bad = n < max(min_obs, 2)
    mean[bad] = np.nan
    var[bad] = np.nan
    return mean, np.sqrt(np.maximum(var, 0.0))


def _rolling_beta(r: np.ndarray, m: np.ndarray, window: int, min_obs: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling OLS slope of each column of ``r`` on ``m`` and the residual standard deviation."""
    ok = np.isfinite(r) & np.isfinite(m)[:, None]
    okf = ok.astype(np.float64)
    mm = np.where(ok, m[:, None], 0.0)
    rr = np.where(ok, r, 0.0)
    n = _rolling_sum(okf, window)
    sx, sy = _rolling_sum(mm, window), _rolling_sum(rr, window)
    sxx, syy, sxy = _rolling_sum(mm * mm, window), _rolling_sum(rr * rr, window), _rolling_sum(mm * rr, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        beta = cov / vx
        rvar = (vy - cov * beta) / (n - 2)
    bad = (n < max(min_obs, 3)) | ~(vx > 0)
    beta[bad] = np.nan
    rvar[bad] = np.nan
    return beta, np.sqrt(np.maximum(rvar, 0.0))


def _lag(x: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(x, np.nan)
    if k < x.shape[0]:
        out[k:] = x[: x.shape[0] - k]
    return out


def standardize_exposures(
    raw: np.ndarray, cap: np.ndarray | None, *, winsor: float = 3.0, cap_weighted: bool = True
) -> np.ndarray:
    """Winsorise and standardise each day's cross-section of ``raw`` (n_days, n_assets).

    Values are first clipped at ``median +- winsor * 1.4826 * MAD`` (a robust standard deviation:
    one extreme value cannot inflate the scale and squash everyone else), then standardised to a
    cap-weighted (when ``cap_weighted`` and caps are given) mean of 0 and an equal-weighted
    standard deviation of 1, then clipped at ``+-winsor``.
    """
    z = raw.astype(np.float64, copy=True)
    z[~np.isfinite(z)] = np.nan
    ok = np.isfinite(z)
    has = ok.any(axis=1)
    if winsor and winsor > 0 and has.any():
        zz = z[has]
        med = np.nanmedian(zz, axis=1, keepdims=True)
        mad = 1.4826 * np.nanmedian(np.abs(zz - med), axis=1, keepdims=True)
        sd = np.nanstd(zz, axis=1, keepdims=True)
        scale = np.where(mad > 0, mad, sd)
        z[has] = np.clip(zz, med - winsor * scale, med + winsor * scale)
    w = ok.astype(np.float64)
    if cap_weighted and cap is not None:
        w = np.where(ok & np.isfinite(cap), cap, 0.0)
    wsum = w.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (w * np.nan_to_num(z)).sum(axis=1, keepdims=True) / wsum
        n = ok.sum(axis=1, keepdims=True)
        eq_mean = np.nansum(z, axis=1, keepdims=True) / n
        sd = np.sqrt(np.nansum((z - eq_mean) ** 2, axis=1, keepdims=True) / (n - 1))
        z = (z - mean) / sd
    z[~np.isfinite(z)] = np.nan
    if winsor and winsor > 0:
        z = np.clip(z, -winsor, winsor)
    return z


def design_cube(
    names: Sequence[str],
    exposures: Mapping[str, np.ndarray],
    sectors: Sequence[str | None] | None,
    shape: tuple[int, int],
) -> np.ndarray:
    """The style model's regressors, one slice per factor in the order of ``names``.

    Parameters
    ----------
    names : sequence of str
        Factor names as in ``StyleResult.factor_names``: ``"market"`` (a column of ones),
        ``"sector:NAME"`` (a 0/1 dummy), and style names, which are looked up in ``exposures``.
    exposures : mapping of str to ndarray of shape (n_days, n_assets)
        Standardised style exposures, already aligned with the days they explain.
    sectors : sequence of str or None, of length n_assets, optional
        Each asset's sector; an asset without one has NaN sector dummies (no regression uses it).
    shape : (n_days, n_assets)

    Returns
    -------
    ndarray of shape (n_days, n_assets, len(names))
    """
    n_days, n_assets = shape
    X = np.full((n_days, n_assets, len(names)), np.nan)
    for i, name in enumerate(names):
        if name == "market":
            X[:, :, i] = 1.0
        elif name.startswith("sector:"):
            sector = name.removeprefix("sector:")
            dummy = np.array([np.nan if s is None else float(s == sector) for s in (sectors or [None] * n_assets)])
            X[:, :, i] = dummy[None, :]
        elif name in exposures:
            X[:, :, i] = exposures[name]
        else:
            msg = f"no exposures for factor {name!r}; have {sorted(exposures)}"
            raise DataError(msg)
    return X


@dataclass(frozen=True)
class StyleResult:
    """A fitted style model (see :class:`StyleFactorModel`)."""

    factor_returns: pl.DataFrame
    specific_returns: pl.DataFrame
    exposures: pl.DataFrame
    factor_names: list[str]
    factor_cov: np.ndarray
    specific_var: pl.DataFrame
    r2: pl.DataFrame
    summary: dict[str, Any]


class StyleFactorModel:
    """Barra-like cross-sectional style model (scikit-learn style estimator).

    Parameters
    ----------
    factors : sequence of str
        Style factors to use (subset of ``ALL_STYLE_FACTORS``); ``size`` needs ``shares_out``.
    sectors : bool
        Add sector dummies from the metadata's ``sector`` column (if given).
    beta_window, momentum_window, momentum_skip, reversal_window, vol_window, liquidity_window : int
        Descriptor look-backs in trading days.
    winsor : float
        Winsorisation bound in standard deviations.
    cap_weighted : bool
        Standardise to a cap-weighted mean and weight regressions by sqrt(cap); needs shares data.
    cov_half_life, nw_lags, specific_half_life : float, int, float
        EWMA half-life (days) and Newey-West lags of the factor covariance; EWMA half-life of the
        specific variances.
    min_obs : int or None
        Fewest assets a day's regression needs (default: free parameters + 1).

    Attributes (after ``fit``): ``result_`` (:class:`StyleResult`) and its fields as
    ``factor_returns_``, ``specific_returns_``, ``exposures_``, ``factor_names_``, ``factor_cov_``,
    ``specific_var_``, ``summary_``.
    """

    def __init__(
        self,
        *,
        factors: tuple[str, ...] | list[str] = STYLE_FACTORS,
        sectors: bool = True,
        beta_window: int = 252,
        momentum_window: int = 252,
        momentum_skip: int = 21,
        reversal_window: int = 21,
        vol_window: int = 63,
        liquidity_window: int = 21,
        winsor: float = 3.0,
        cap_weighted: bool = True,
        cov_half_life: float = 90.0,
        nw_lags: int = 2,
        specific_half_life: float = 42.0,
        min_obs: int | None = None,
    ) -> None:
        self.factors = factors
        self.sectors = sectors
        self.beta_window = beta_window
        self.momentum_window = momentum_window
        self.momentum_skip = momentum_skip
        self.reversal_window = reversal_window
        self.vol_window = vol_window
        self.liquidity_window = liquidity_window
        self.winsor = winsor
        self.cap_weighted = cap_weighted
        self.cov_half_life = cov_half_life
        self.nw_lags = nw_lags
        self.specific_half_life = specific_half_life
        self.min_obs = min_obs

    # -- exposures ---------------------------------------------------------------------------
    def _check(self, has_shares: bool) -> list[str]:
        facs = list(self.factors)
        unknown = [f for f in facs if f not in ALL_STYLE_FACTORS]
        if unknown:
            msg = f"unknown style factor(s) {unknown}; choose from {list(ALL_STYLE_FACTORS)}"
            raise ConfigError(msg)
        if len(set(facs)) != len(facs):
            msg = f"style factors listed twice: {facs}"
            raise ConfigError(msg)
        if not has_shares and "size" in facs:
            facs.remove("size")  # no market cap without shares outstanding
        for name in ("beta_window", "momentum_window", "reversal_window", "vol_window", "liquidity_window"):
            if getattr(self, name) < 2:
                msg = f"{name} must be >= 2, got {getattr(self, name)}"
                raise ConfigError(msg)
        if not 0 <= self.momentum_skip < self.momentum_window:
            msg = "momentum_skip must be >= 0 and below momentum_window"
            raise ConfigError(msg)
        if self.nw_lags < 0:
            msg = f"nw_lags (Newey-West lags) must be >= 0, got {self.nw_lags}"
            raise ConfigError(msg)
        return facs

    def _raw(
        self, p: Panel, shares: np.ndarray | None, facs: list[str]
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray | None]:
        close, volume = p["close"], p["volume"]
        r = simple_returns(close)
        cap = close * shares[None, :] if shares is not None else None
        if cap is not None:
            lag_cap = _lag(cap, 1)
            w = np.where(np.isfinite(r) & np.isfinite(lag_cap), lag_cap, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mkt = (w * np.nan_to_num(r)).sum(axis=1) / w.sum(axis=1)
        else:
            mkt = equal_weight_returns(r)
        raw: dict[str, np.ndarray] = {}
        logc = np.log(close)
        if "beta" in facs or "residual_volatility" in facs:
            beta, rsd = _rolling_beta(r, mkt, self.beta_window, self.beta_window // 2)
            if "beta" in facs:
                raw["beta"] = beta
            if "residual_volatility" in facs:
                raw["residual_volatility"] = rsd * _ANN
        if "momentum" in facs:
            raw["momentum"] = _lag(logc, self.momentum_skip) - _lag(logc, self.momentum_window)
        if "reversal" in facs:
            raw["reversal"] = logc - _lag(logc, self.reversal_window)
        if "volatility" in facs:
            raw["volatility"] = _rolling_mean_std(r, self.vol_window, self.vol_window // 2)[1] * _ANN
        dollar = close * volume
        if "liquidity" in facs:
            turn = volume / shares[None, :] if shares is not None else dollar
            turn = np.where(turn > 0, turn, np.nan)
            mean = _rolling_mean_std(turn, self.liquidity_window, self.liquidity_window // 2)[0]
            with np.errstate(divide="ignore", invalid="ignore"):
                raw["liquidity"] = np.log(mean)
        if "amihud" in facs:
            with np.errstate(divide="ignore", invalid="ignore"):
                ill = np.where(dollar > 0, np.abs(r) / dollar, np.nan)
                mean = _rolling_mean_std(ill, self.liquidity_window, self.liquidity_window // 2)[0]
                raw["amihud"] = np.log(np.where(mean > 0, mean, np.nan))
        if "size" in facs and cap is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                raw["size"] = np.log(np.where(cap > 0, cap, np.nan))
        for v in raw.values():
            v[~np.isfinite(v)] = np.nan
        return {f: raw[f] for f in facs}, r, cap

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, bars: Any, symbols: Any = None) -> StyleFactorModel:
        """Fit on daily ``bars`` (symbol, ts, close, volume) and optional ``symbols`` metadata
        (symbol, sector, shares_out)."""
        df, _ = to_polars(bars)
        require_columns(df, ["symbol", "ts", "close", "volume"], "bars")
        meta = None
        if symbols is not None:
            meta, _ = to_polars(symbols)
            require_columns(meta, ["symbol"], "the symbols table")
        p = pivot(df, ["close", "volume"])
        n_days, n_assets = p["close"].shape
        shares = sectors = None
        if meta is not None:
            m = pl.DataFrame({"symbol": p.symbols}).join(
                meta.with_columns(pl.col("symbol").cast(pl.String)).unique("symbol"), on="symbol", how="left"
            )
            if "shares_out" in m.columns:
                sh = m.get_column("shares_out").cast(pl.Float64).fill_null(np.nan).to_numpy()
                if np.isfinite(sh).any():
                    shares = np.where(sh > 0, sh, np.nan)
            if self.sectors and "sector" in m.columns:
                sectors = m.get_column("sector").cast(pl.String).to_list()
        facs = self._check(shares is not None)
        raw, r, cap = self._raw(p, shares, facs)
        use_cap = self.cap_weighted and cap is not None
        expo = {f: standardize_exposures(v, cap, winsor=self.winsor, cap_weighted=use_cap) for f, v in raw.items()}

        sector_names = sorted({s for s in sectors if s is not None}) if sectors else []
        names = ["market"] + [f"sector:{s}" for s in sector_names] + facs
        k = len(names)
        # Regress r[t+1] on exposures at t: the design for return day t uses exposures at t-1.
        X = design_cube(names, {f: _lag(expo[f], 1) for f in facs}, sectors, (n_days, n_assets))
        lag_cap = _lag(cap, 1) if cap is not None else None
        w = np.sqrt(lag_cap) if (use_cap and lag_cap is not None) else np.ones((n_days, n_assets))
        constraint = None
        if sector_names:
            valid = np.isfinite(r) & np.isfinite(X).all(axis=2) & np.isfinite(w)
            cw = np.where(valid, lag_cap if use_cap and lag_cap is not None else 1.0, 0.0)
            constraint = np.zeros((n_days, k))
            constraint[:, 1 : 1 + len(sector_names)] = np.einsum(
                "tn,tns->ts", cw, np.nan_to_num(X[:, :, 1 : 1 + len(sector_names)])
            )
        # Days before any exposure exists are not "skipped": they are the warm-up.
        has_expo = (
            np.isfinite(X[:, :, 1 + len(sector_names) :]).all(axis=2).any(axis=1) if facs else np.ones(n_days, bool)
        )
        has_expo &= np.isfinite(r).any(axis=1)
        first = int(np.argmax(has_expo)) if has_expo.any() else n_days
        if first >= n_days:
            msg = (
                f"no day has every style exposure ({facs}); the history ({n_days} days) is shorter "
                f"than the look-backs (beta {self.beta_window}, momentum {self.momentum_window} days). "
                "Use more history or shorter windows."
            )
            raise DataError(msg)
        fit = batched_wls(
            r[first:],
            X[first:],
            w[first:],
            constraint=None if constraint is None else constraint[first:],
            min_obs=self.min_obs,
            has_constant=True,
        )
        if not fit.fitted_ok.any():
            raise DataError(self._unfittable(fit, names, sector_names, facs, n_assets, constraint is not None))
        self._store(p, names, facs, sector_names, sectors, expo, cap, w, fit, first)
        return self

    def _unfittable(
        self,
        fit: BatchedWLS,
        names: list[str],
        sector_names: list[str],
        facs: list[str],
        n_assets: int,
        constrained: bool,
    ) -> str:
        """Why no day could be regressed: too few symbols for the factors, or singular exposures."""
        k_free = len(names) - (1 if constrained else 0)
        need = k_free + 1 if self.min_obs is None else max(self.min_obs, k_free)
        most = int(fit.n_obs.max()) if fit.n_obs.size else 0
        parts = f"market, {len(sector_names)} sector(s), {len(facs)} style(s)"
        if fit.skipped_few >= fit.skipped_singular:
            return (
                f"the style model cannot be fitted: it has {len(names)} factors ({parts}), so a day needs at least "
                f"{need} symbols with every exposure, but the universe has {n_assets} symbols and at most {most} on "
                "any day; use more symbols, fewer factors, or sectors=False"
            )
        return (
            f"the style model cannot be fitted: every day's exposures are singular ({len(names)} factors: {parts}; "
            f"at most {most} symbols a day); drop factors that move together, or use sectors=False"
        )

    def _store(
        self,
        p: Panel,
        names: list[str],
        facs: list[str],
        sector_names: list[str],
        sectors: list[str | None] | None,
        expo: dict[str, np.ndarray],
        cap: np.ndarray | None,
        w: np.ndarray,
        fit: BatchedWLS,
        first: int,
    ) -> None:
        dates = p.dates
        days = dates.slice(first)
        ok = fit.fitted_ok
        fr = pl.DataFrame({"ts": days.filter(pl.Series(ok))}).with_columns(
            [pl.Series(n, fit.coef[ok, i]).fill_nan(None) for i, n in enumerate(names)]
        )
        spec = panel_to_long(days, p.symbols, {"specific_return": fit.resid}).drop_nulls("specific_return")
        arrays = dict(expo)
        if cap is not None:
            arrays["market_cap"] = cap
        ex = panel_to_long(dates, p.symbols, arrays, drop_all_nan=False)
        ex = ex.filter(pl.all_horizontal([pl.col(f).is_not_null() for f in facs])) if facs else ex
        if sectors is not None:
            ex = ex.join(
                pl.DataFrame(
                    {"symbol": p.symbols, "sector": sectors}, schema={"symbol": pl.String, "sector": pl.String}
                ),
                on="symbol",
                how="left",
            )
        fmat = fit.coef[ok]
        fmat = np.where(np.isfinite(fmat), fmat, 0.0)
        cov = (
            factor_covariance(fmat, half_life=self.cov_half_life, nw_lags=self.nw_lags)
            if fmat.shape[0] > 1
            else np.full((len(names),) * 2, np.nan)
        )
        svar = specific_variance(fit.resid, half_life=self.specific_half_life)
        sv = pl.DataFrame({"symbol": p.symbols, "specific_var": svar}).with_columns(
            pl.col("specific_var").fill_nan(None)
        )
        r2 = pl.DataFrame({"ts": days, "r2": fit.r2, "n_obs": fit.n_obs}).filter(pl.Series(ok))
        summary = {
            "days": int(ok.sum()),
            "warmup_days": first,
            "skipped_days_few_symbols": fit.skipped_few,
            "skipped_days_singular": fit.skipped_singular,
            "symbols": len(p.symbols),
            "factors": len(names),
            "mean_r2": float(np.nanmean(fit.r2[ok])) if ok.any() else float("nan"),
            "mean_symbols_per_day": float(fit.n_obs[ok].mean()) if ok.any() else 0.0,
            "start": days.filter(pl.Series(ok)).min() if ok.any() else None,
            "end": days.filter(pl.Series(ok)).max() if ok.any() else None,
        }
        self.result_ = StyleResult(fr, spec, ex, names, cov, sv, r2, summary)
        self.factor_returns_ = fr
        self.specific_returns_ = spec
        self.exposures_ = ex
        self.factor_names_ = names
        self.factor_cov_ = cov
        self.specific_var_ = sv
        self.summary_ = summary
