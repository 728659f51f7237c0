"""Monte Carlo validation: how a strategy's results could have turned out instead.

Three families of alternative histories:

* ``bootstrap``: the strategy's own returns resampled with the stationary bootstrap (Politis and
  Romano 1994), blocks of geometric length with the automatic mean length of Politis and White
  (2004, corrected 2009), so serial dependence survives;
* ``reshuffle``: the strategy's round-trip trade returns in a random order (same final wealth,
  different path and drawdown);
* synthetic prices, ``gbm``, ``garch`` (GARCH(1,1) QMLE) or ``regime`` (two volatility regimes with
  a Markov switch), fitted to the underlying's returns and rerun through the backtest engine with
  the same strategy;
* ``prism``: every path is a PRISM agent-based market run (:mod:`trade2026.sim.prism`) with its own
  seed, its bars rerun through the backtest engine (see :func:`prism_plan` for how the bars are
  built). Opt-in (not in :data:`METHODS`, the default set): each path is a full simulation.

Every path gives the same snake_case metrics (``total_return``, ``cagr``, ``sharpe``,
``max_drawdown``); :func:`summarize` turns them into percentiles, the probability of a loss and
the risk of ruin (equity falling below ``1 - ruin_limit`` at any time). :func:`risk_of_ruin` works on
additive P&L per bet; with bets of +1/-1 won with probability ``p`` it converges to the gambler's
ruin formula ``((1 - p) / p) ** capital`` (:func:`risk_of_ruin_closed_form`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from trade2026.errors import InputError

PERCENTILES = (5, 25, 50, 75, 95)
METRICS = ("total_return", "cagr", "sharpe", "max_drawdown")
MODELS = ("gbm", "garch", "regime")
PRISM_SESSION_HOURS = 0.5  # one short session per daily bar: ~15 ms with the default 40 agents
PRISM_MAX_DAYS = 252  # default cap on sessions per path (about a year of daily bars)
PRISM_INITIAL_PRICE = 100.0  # simulated in ticks of 0.01 around 100, rescaled to the observed start
_DAY_SECONDS = 20 * 3600  # observed bars at least this far apart are daily (or slower) bars


@njit(cache=True)
def _sb_indices(n, n_paths, p, seed):
    np.random.seed(seed)
    idx = np.empty((n_paths, n), dtype=np.int64)
    for k in range(n_paths):
        i = np.random.randint(0, n)
        idx[k, 0] = i
        for t in range(1, n):
            i = np.random.randint(0, n) if np.random.random() < p else (i + 1) % n
            idx[k, t] = i
    return idx


def stationary_bootstrap(
    returns: np.ndarray, n_paths: int, *, block_length: float | None = None, seed: int = 0
) -> tuple[np.ndarray, float]:
    """Resampled paths of shape (n_paths, n_obs) and the mean block length used."""
    from trade2026.backtest import optimal_block_length

    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 10:
        msg = f"the bootstrap needs at least 10 returns, got {r.size}"
        raise InputError(msg)
    b = float(optimal_block_length(r)) if block_length is None else float(block_length)
    idx = _sb_indices(r.size, int(n_paths), 1.0 / max(b, 1.0), int(seed))
    return r[idx], b


def reshuffle_trades(trade_returns: np.ndarray, n_paths: int, *, seed: int = 0) -> np.ndarray:
    """Random permutations of per-trade returns, shape (n_paths, n_trades)."""
    t = np.asarray(trade_returns, dtype=np.float64)
    t = t[np.isfinite(t)]
    if t.size < 2:
        msg = f"trade reshuffling needs at least 2 closed trades, got {t.size}"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    return rng.permuted(np.broadcast_to(t, (int(n_paths), t.size)).copy(), axis=1)


def path_metrics(paths: np.ndarray, periods_per_year: float) -> dict[str, np.ndarray]:
    """Metrics of each row of simple returns (n_paths, n_obs), vectorised."""
    paths = np.atleast_2d(paths)
    n = paths.shape[1]
    growth = np.prod(1.0 + paths, axis=1)
    years = n / periods_per_year
    with np.errstate(divide="ignore", invalid="ignore"):
        cagr = np.where(growth > 0, growth ** (1.0 / years) - 1.0, -1.0)
        sd = paths.std(axis=1, ddof=1)
        sharpe = np.where(sd > 0, paths.mean(axis=1) / np.where(sd > 0, sd, 1.0), np.nan) * math.sqrt(periods_per_year)
    eq = np.cumprod(1.0 + paths, axis=1)
    peak = np.maximum.accumulate(np.maximum(eq, 1.0), axis=1)
    mdd = (eq / peak - 1.0).min(axis=1)
    return {
        "total_return": growth - 1.0,
        "cagr": cagr,
        "sharpe": sharpe,
        "max_drawdown": mdd,
        "min_equity": np.minimum(eq.min(axis=1), 1.0),
    }


@dataclass(frozen=True)
class McResult:
    """Distribution of metrics over simulated paths for one method."""

    method: str
    n_paths: int
    metrics: dict[str, np.ndarray] = field(repr=False)
    ruin_limit: float
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "n_paths": self.n_paths, **self.info}
        for m in METRICS:
            v = self.metrics[m]
            v = v[np.isfinite(v)]
            out[m] = {f"p{p}": float(np.percentile(v, p)) if v.size else None for p in PERCENTILES}
            out[m]["mean"] = float(v.mean()) if v.size else None
        out["prob_loss"] = float(np.mean(self.metrics["total_return"] < 0))
        out["risk_of_ruin"] = float(np.mean(self.metrics["min_equity"] <= 1.0 - self.ruin_limit))
        out["prob_drawdown_breach"] = float(np.mean(self.metrics["max_drawdown"] <= -self.ruin_limit))
        return out


def summarize(
    method: str, paths: np.ndarray, *, periods_per_year: float, ruin_limit: float, info: dict[str, Any] | None = None
) -> McResult:
    return McResult(method, int(paths.shape[0]), path_metrics(paths, periods_per_year), ruin_limit, info or {})


def risk_of_ruin_closed_form(p: float, capital: int) -> float:
    """Gambler's ruin with unit bets paying 1:1, win probability ``p``, ``capital`` units, no horizon."""
    if not 0 <= p <= 1:
        msg = f"p must be in [0, 1], got {p}"
        raise InputError(msg)
    if p <= 0.5:
        return 1.0
    return float(((1.0 - p) / p) ** capital)


@njit(cache=True)
def _ruin(pnls, capital, n_paths, horizon, seed):
    np.random.seed(seed)
    n = pnls.shape[0]
    hits = 0
    for _ in range(n_paths):
        eq = capital
        for _t in range(horizon):
            eq += pnls[np.random.randint(0, n)]
            if eq <= 0:
                hits += 1
                break
    return hits / n_paths


def risk_of_ruin(
    pnls: np.ndarray, *, capital: float, n_paths: int = 10_000, horizon: int = 1_000, seed: int = 0
) -> float:
    """Probability that ``capital`` plus a sum of i.i.d. draws from ``pnls`` (additive P&L per bet)
    reaches zero within ``horizon`` bets."""
    x = np.asarray(pnls, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0 or capital <= 0:
        msg = "risk of ruin needs P&L values and a positive capital"
        raise InputError(msg)
    return float(_ruin(x, float(capital), int(n_paths), int(horizon), int(seed)))


# -- synthetic prices ---------------------------------------------------------------------------


def fit_regimes(r: np.ndarray, window: int = 20) -> dict[str, Any]:
    """Two regimes split at the median of rolling volatility: per-regime mean/sd and a Markov
    transition matrix estimated from the regime sequence."""
    n = r.size
    if n < 3 * window:
        msg = f"the regime model needs at least {3 * window} returns, got {n}"
        raise InputError(msg)
    vol = np.array([r[max(0, i - window + 1) : i + 1].std() for i in range(n)])
    hi = (vol > np.median(vol)).astype(np.int64)
    mu = np.array([r[hi == k].mean() for k in (0, 1)])
    sd = np.array([r[hi == k].std(ddof=1) for k in (0, 1)])
    trans = np.ones((2, 2))  # add-one smoothing
    for a, b in itertools.pairwise(hi):
        trans[a, b] += 1
    trans /= trans.sum(axis=1, keepdims=True)
    return {"mu": mu, "sd": sd, "trans": trans}


def synthetic_returns(model: str, returns: np.ndarray, n_paths: int, n_obs: int, *, seed: int = 0) -> np.ndarray:
    """Simple-return paths (n_paths, n_obs) from a model fitted to ``returns`` (simple returns)."""
    from trade2026.sim._garch import fit_garch

    r = np.log1p(np.asarray(returns, dtype=np.float64))
    r = r[np.isfinite(r)]
    rng = np.random.default_rng(seed)
    if model == "gbm":
        logr = rng.normal(r.mean(), r.std(ddof=1), (n_paths, n_obs))
    elif model == "garch":
        g = fit_garch(r)
        logr = np.vstack([g.simulate(n_obs, rng) for _ in range(n_paths)])
    elif model == "regime":
        fit = fit_regimes(r)
        logr = np.empty((n_paths, n_obs))
        for k in range(n_paths):
            s = int(rng.integers(0, 2))
            u = rng.random(n_obs)
            z = rng.standard_normal(n_obs)
            for t in range(n_obs):
                logr[k, t] = fit["mu"][s] + fit["sd"][s] * z[t]
                s = s if u[t] < fit["trans"][s, s] else 1 - s
    else:
        msg = f"unknown price model {model!r}; use {', '.join(MODELS)}"
        raise InputError(msg)
    return np.expm1(logr)


def bars_from_returns(returns: np.ndarray, ts: Any, symbol: str, start_price: float) -> Any:
    """Canonical bars whose closes follow ``returns`` (open = previous close)."""
    import polars as pl

    close = start_price * np.cumprod(1.0 + returns)
    open_ = np.concatenate([[start_price], close[:-1]])
    return pl.DataFrame(
        {
            "symbol": symbol,
            "ts": ts,
            "open": open_,
            "high": np.maximum(open_, close),
            "low": np.minimum(open_, close),
            "close": close,
            "volume": np.ones(close.size),
        }
    )


def backtest_synthetic(
    task: tuple[str, str, dict[str, Any], np.ndarray, Any, str, float, dict[str, Any]],
) -> np.ndarray:
    """Rerun a strategy on each synthetic path (a picklable task for ``trade2026.parallel``);
    returns the strategy's returns per path, shape (n_paths, n_bars)."""
    from trade2026.backtest import run_backtest, strategy_positions

    _model, strategy, params, paths, ts, symbol, start_price, costs = task
    out = []
    for row in paths:
        bars = bars_from_returns(row, ts, symbol, start_price)
        pos = strategy_positions(strategy, bars, **params)
        res = run_backtest(bars, pos, **costs)
        out.append(res.returns["return"].to_numpy())
    width = max(len(x) for x in out)
    return np.vstack([np.pad(x, (0, width - len(x))) for x in out])


# -- PRISM runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrismPlan:
    """How the ``prism`` method builds its paths (one PRISM run per path, same plan, own seed).

    ``config`` is the base configuration (agents, session, sessions per path, calibrated
    fundamental); ``every`` is ``None`` when one session makes one bar (daily or slower observed
    bars) or a polars duration (``"300s"``) that the session's trades are bucketed into (intraday
    observed bars); ``n_bars`` is the path length; ``scale`` maps the simulated prices (which
    start at ``PRISM_INITIAL_PRICE``) to the observed first close.
    """

    config: Any
    every: str | None
    n_bars: int
    scale: float
    sigma_daily: float

    def info(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "underlying_model": "prism",
            "prism_agents": dict(cfg.agents),
            "prism_session_hours": float(cfg.session_hours),
            "prism_days": int(cfg.days),
            "prism_bar": "session" if self.every is None else self.every,
            "prism_sigma_daily": float(self.sigma_daily),
        }


def prism_base_config(
    *, agents: dict[str, int] | None = None, session_hours: float | None = None, days: int | None = None
) -> Any:
    """The PRISM configuration the ``prism`` method starts from, validated (``ConfigError`` /
    ``InputError`` name the bad setting). Defaults: PRISM's default 40 agents, sessions of
    ``PRISM_SESSION_HOURS`` hours."""
    from trade2026.sim.prism import load_config

    if days is not None and days < 1:
        msg = f"--prism-days must be >= 1 (got {days})"
        raise InputError(msg)
    return load_config(
        agents=agents,
        session_hours=PRISM_SESSION_HOURS if session_hours is None else session_hours,
        days=days,
        initial_price=PRISM_INITIAL_PRICE,
    )


def prism_plan(bars: Any, base: Any, *, days: int | None = None) -> PrismPlan:
    """Match a PRISM run to one symbol's observed bars (sorted by ts).

    * Daily or slower observed bars (median spacing >= 20 hours): one simulated session is one bar
      (open = first trade, high/low = session extremes, close = last trade, volume = shares traded);
      a path has ``days`` sessions, by default the observed bar count capped at
      ``PRISM_MAX_DAYS``, and reuses the observed timestamps.
    * Intraday observed bars: the sessions' trades are bucketed into bars of the observed spacing
      (``bars_from_trades``; minutes without trades are skipped), with as many sessions as it takes
      to cover the observed bar count (same cap), on PRISM's own timestamps.

    The fundamental is calibrated to the observed bars: its per-session volatility matches the
    variance of the observed log returns per session, less the variance of PRISM's jumps, and its
    mean reversion to the starting price is switched off (``kappa = 0``) so the closes wander like a
    stock's instead of being pulled back to 100 (PRISM's default reverts within days). Everything
    else (population, agent parameters, jumps, intraday activity) is PRISM's calibrated default.
    The book's price grid spans 0 to 4x the start, ample for a year of sessions at equity-like
    volatility.
    """
    closes = bars["close"].to_numpy().astype(np.float64)
    if closes.size < 3 or not np.all(closes > 0):
        msg = "the prism method needs at least 3 positive closes"
        raise InputError(msg)
    r = np.diff(np.log(closes))
    spacing = float(np.median(np.diff(bars["ts"].to_numpy()).astype("timedelta64[us]").astype(np.float64))) / 1e6
    every = None if spacing >= _DAY_SECONDS else f"{max(round(spacing), 1)}s"
    per_session = 1 if every is None else max(base.session_s // max(round(spacing), 1), 1)
    n_obs = closes.size
    if days is None:
        days = min(-(-n_obs // per_session), PRISM_MAX_DAYS)
    n_bars = min(n_obs, days * per_session)
    f = base.fundamental
    var_session = float(r.var(ddof=1)) * per_session
    sigma = math.sqrt(max(var_session - f.jump_rate * f.jump_sd**2, 0.25 * var_session))
    cfg = replace(base, days=int(days), fundamental=replace(f, sigma_daily=sigma, kappa=0.0)).validate()
    return PrismPlan(cfg, every, int(n_bars), float(closes[0]) / cfg.initial_price, sigma)


def prism_seeds(seed: int, n_paths: int) -> list[int]:
    """One PRISM seed per path, derived deterministically from the Monte Carlo ``seed``."""
    if seed < 0:
        msg = f"the seed must be >= 0 (got {seed})"
        raise InputError(msg)
    return [int(s) for s in np.random.SeedSequence([int(seed), 0x5052]).generate_state(n_paths)]


def prism_bars(cfg: Any, every: str | None, n_bars: int, *, symbol: str, ts: Any = None, scale: float = 1.0) -> Any:
    """Canonical bars of one PRISM run (see :func:`prism_plan`): ``n_bars`` rows at most."""
    import datetime as dt

    import polars as pl

    from trade2026.sim.prism import bars_from_trades, iter_days

    ts_type = pl.Datetime("us", "UTC")
    tick = cfg.tick_size * scale
    if every is None:
        ohlcv = np.empty((cfg.days, 5))
        last = cfg.initial_price / cfg.tick_size
        dates = []
        for k, (day, *_) in enumerate(iter_days(cfg)):
            dates.append(dt.datetime.combine(day.date, cfg.open_time, tzinfo=dt.UTC))
            tr = day.trades
            if len(tr):
                px = tr[:, 1].astype(np.float64)
                ohlcv[k] = (px[0], px.max(), px.min(), px[-1], tr[:, 2].sum())
                last = px[-1]
            else:  # a session without trades: a flat bar at the last price
                ohlcv[k] = (last, last, last, last, 0.0)
        ohlcv = ohlcv[:n_bars]
        out = pl.DataFrame(
            {
                "symbol": symbol,
                "ts": ts[: len(ohlcv)] if ts is not None else pl.Series(dates[: len(ohlcv)], dtype=ts_type),
                "open": ohlcv[:, 0] * tick,
                "high": ohlcv[:, 1] * tick,
                "low": ohlcv[:, 2] * tick,
                "close": ohlcv[:, 3] * tick,
                "volume": ohlcv[:, 4],
            }
        )
        return out
    parts = []
    for day, *_ in iter_days(cfg):
        tr = day.trades
        open_us = int(dt.datetime.combine(day.date, cfg.open_time, tzinfo=dt.UTC).timestamp() * 1e6)
        parts.append(
            pl.DataFrame(
                {
                    "symbol": symbol,
                    "ts": pl.Series(open_us + tr[:, 0] // 1000, dtype=pl.Int64).cast(ts_type),
                    "price": tr[:, 1] * tick,
                    "size": tr[:, 2].astype(np.float64),
                }
            )
        )
    trades = pl.concat(parts).with_columns(pl.int_range(pl.len()).alias("seq"))
    return bars_from_trades(trades, every).head(n_bars)


def backtest_prism(
    task: tuple[Any, str | None, int, float, str, Any, str, dict[str, Any], dict[str, Any]],
) -> np.ndarray:
    """Simulate one PRISM path and rerun the strategy on its bars (a picklable task for
    ``trade2026.parallel``); returns the strategy's returns on that path."""
    from trade2026.backtest import run_backtest, strategy_positions

    cfg, every, n_bars, scale, symbol, ts, strategy, params, costs = task
    bars = prism_bars(cfg, every, n_bars, symbol=symbol, ts=ts, scale=scale)
    res = run_backtest(bars, strategy_positions(strategy, bars, **params), **costs)
    return res.returns["return"].to_numpy()


METHODS = ("bootstrap", "reshuffle", *MODELS)  # the default set
ALL_METHODS = (*METHODS, "prism")  # prism is opt-in: each path is a full agent-based simulation


def validate_returns(
    returns: np.ndarray,
    *,
    n_paths: int = 1000,
    ruin_limit: float = 0.3,
    periods_per_year: float = 252,
    block_length: float | None = None,
    trade_returns: np.ndarray | None = None,
    seed: int = 0,
) -> list[McResult]:
    """Bootstrap (and, given trade returns, reshuffle) a strategy's returns."""
    paths, b = stationary_bootstrap(returns, n_paths, block_length=block_length, seed=seed)
    out = [
        summarize(
            "bootstrap", paths, periods_per_year=periods_per_year, ruin_limit=ruin_limit, info={"block_length": b}
        )
    ]
    if trade_returns is not None and np.isfinite(np.asarray(trade_returns, dtype=float)).sum() >= 2:
        shuffled = reshuffle_trades(trade_returns, n_paths, seed=seed + 1)
        out.append(
            summarize(
                "reshuffle",
                shuffled,
                periods_per_year=periods_per_year,
                ruin_limit=ruin_limit,
                info={"n_trades": int(shuffled.shape[1])},
            )
        )
    return out


def validate_strategy(
    bars: Any,
    strategy: str,
    *,
    methods: tuple[str, ...] = METHODS,
    n_paths: int = 1000,
    synthetic_paths: int | None = None,
    ruin_limit: float = 0.3,
    periods_per_year: float = 252,
    seed: int = 0,
    executor: str = "serial",
    ray_address: str | None = None,
    costs: dict[str, Any] | None = None,
    prism_agents: dict[str, int] | None = None,
    prism_session_hours: float | None = None,
    prism_days: int | None = None,
) -> tuple[dict[str, float], list[McResult]]:
    """Backtest ``strategy`` on one symbol's bars, then build the Monte Carlo distributions.

    Returns the observed metrics (``returns_metrics`` of the backtest) and one result per method.
    Synthetic-price methods rerun the strategy through the backtest engine on
    ``synthetic_paths`` (default ``min(n_paths, 200)``) paths, fanned out with ``trade2026.parallel``.
    With ``"prism"`` in ``methods`` each of those paths is a PRISM run (``prism_agents`` counts,
    sessions of ``prism_session_hours``, ``prism_days`` sessions per path; see :func:`prism_plan`)
    seeded by :func:`prism_seeds`, one task per path; the same ``seed`` gives the same result on
    every executor.
    """
    import polars as pl

    from trade2026.backtest import parse_strategy, run_backtest, strategy_positions
    from trade2026.parallel import run_tasks

    bad = [m for m in methods if m not in ALL_METHODS]
    if bad:
        msg = f"unknown Monte Carlo method(s) {', '.join(bad)}; use {', '.join(ALL_METHODS)}"
        raise InputError(msg)
    prism_opts = prism_agents is not None or prism_session_hours is not None or prism_days is not None
    if prism_opts and "prism" not in methods:
        msg = "the prism options (agents, session, days) apply only with the prism method; add prism to the methods"
        raise InputError(msg)
    base = (
        prism_base_config(agents=prism_agents, session_hours=prism_session_hours, days=prism_days)
        if "prism" in methods
        else None
    )
    df = bars if isinstance(bars, pl.DataFrame) else pl.from_pandas(bars)
    syms = df["symbol"].unique().to_list()
    if len(syms) != 1:
        msg = (
            f"Monte Carlo validation runs on one symbol; got {len(syms)} ({', '.join(map(str, syms[:5]))}...); pick one"
        )
        raise InputError(msg)
    df = df.sort("ts")
    name, params = parse_strategy(strategy)
    costs = costs or {}
    res = run_backtest(df, strategy_positions(name, df, **params), **costs)
    observed = dict(res.metrics)
    rets = res.returns["return"].to_numpy()
    results: list[McResult] = []
    kw = {"periods_per_year": periods_per_year, "ruin_limit": ruin_limit}
    if "bootstrap" in methods:
        paths, b = stationary_bootstrap(rets, n_paths, seed=seed)
        results.append(summarize("bootstrap", paths, info={"block_length": b}, **kw))
    if "reshuffle" in methods and res.trades.height >= 2:
        shuffled = reshuffle_trades(res.trades["return"].to_numpy(), n_paths, seed=seed + 1)
        results.append(
            summarize(
                "reshuffle",
                shuffled,
                info={"n_trades": int(shuffled.shape[1])},
                periods_per_year=periods_per_year * shuffled.shape[1] / max(len(rets), 1),
                ruin_limit=ruin_limit,
            )
        )
    models = [m for m in methods if m in MODELS]
    if models:
        closes = df["close"].to_numpy()
        under = closes[1:] / closes[:-1] - 1.0
        n_syn = synthetic_paths or min(n_paths, 200)
        ts, sym, p0 = df["ts"], str(syms[0]), float(closes[0])
        chunk = max(1, n_syn // 8)
        for j, model in enumerate(models):
            syn = synthetic_returns(model, under, n_syn, len(under), seed=seed + 10 + j)
            syn = np.concatenate([np.zeros((n_syn, 1)), syn], axis=1)  # the first bar has no return
            tasks = [(model, name, params, syn[i : i + chunk], ts, sym, p0, costs) for i in range(0, n_syn, chunk)]
            parts = run_tasks(backtest_synthetic, tasks, executor=executor, ray_address=ray_address)
            width = max(p.shape[1] for p in parts)
            strat = np.vstack([np.pad(p, ((0, 0), (0, width - p.shape[1]))) for p in parts])
            results.append(summarize(model, strat, info={"underlying_model": model}, **kw))
    if base is not None:
        plan = prism_plan(df, base, days=prism_days)
        n_syn = synthetic_paths or min(n_paths, 200)
        sym = str(syms[0])
        tasks_p = [
            (
                replace(plan.config, seed=s, symbol=sym),
                plan.every,
                plan.n_bars,
                plan.scale,
                sym,
                df["ts"] if plan.every is None else None,
                name,
                params,
                costs,
            )
            for s in prism_seeds(seed, n_syn)
        ]
        rows = run_tasks(
            backtest_prism,
            tasks_p,
            executor=executor,
            ray_address=ray_address,
            progress=True,
            description="PRISM paths",
        )
        width = max(len(x) for x in rows)
        strat = np.vstack([np.pad(x, (0, width - len(x))) for x in rows])
        results.append(summarize("prism", strat, info=plan.info(), **kw))
    return observed, results


def plot_distributions(results: list[McResult], observed: dict[str, Any], path: str | Path) -> None:
    """Histograms of each method's path metrics, with the observed value marked, saved as an image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 3.2))
    for ax, m in zip(axes, METRICS, strict=True):
        for r in results:
            v = r.metrics[m]
            v = v[np.isfinite(v)]
            if v.size and np.ptp(v) > 1e-9 * max(1.0, float(np.abs(v).max())):
                ax.hist(v, bins=40, alpha=0.45, label=r.method, density=True)
            elif v.size:  # the same value on every path (e.g. total return under reshuffling)
                ax.axvline(float(v[0]), ls="--", lw=1, label=r.method)
        if observed.get(m) is not None:
            ax.axvline(observed[m], color="black", lw=1.2, label="observed")
        ax.set_title(m)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
