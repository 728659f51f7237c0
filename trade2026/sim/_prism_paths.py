"""The ``prism`` Monte Carlo method: PRISM agent-based market runs as alternative price paths.

Every path is one PRISM run (:mod:`trade2026.sim.prism`) with its own seed, matched to the observed
bars by :func:`prism_plan` and turned into canonical bars by :func:`prism_bars`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from trade2026.errors import InputError

PRISM_SESSION_HOURS = 0.5  # one short session per daily bar: ~15 ms with the default 40 agents
PRISM_MAX_DAYS = 252  # default cap on sessions per path (about a year of daily bars)
PRISM_INITIAL_PRICE = 100.0  # simulated in ticks of 0.01 around 100, rescaled to the observed start
_DAY_SECONDS = 20 * 3600  # observed bars at least this far apart are daily (or slower) bars


@dataclass(frozen=True)
class PrismPlan:
    """How the ``prism`` method builds its paths (one PRISM run per path, same plan, own seed).

    ``config`` is the base configuration (agents, session, sessions per path, calibrated
    fundamental); ``every`` is ``None`` when one session makes one bar (daily or slower observed
    bars) or a polars duration (``"300s"``) that the session's trades are bucketed into (intraday
    observed bars); ``n_bars`` is the path length; ``scale`` maps the simulated prices (which
    start at ``PRISM_INITIAL_PRICE``) to the observed first close; ``sigma_daily`` is the
    fundamental's volatility per session.
    """

    config: Any
    every: str | None
    n_bars: int
    scale: float
    sigma_daily: float

    def info(self) -> dict[str, Any]:
        """The plan as the ``prism_*`` entries of the method's summary."""
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
    ``PRISM_SESSION_HOURS`` hours, as many sessions as :func:`prism_plan` decides."""
    from trade2026.sim.prism import load_config

    if days is not None and days < 1:
        msg = f"prism_days must be >= 1 (got {days})"
        raise InputError(msg)
    return load_config(
        agents=agents,
        session_hours=PRISM_SESSION_HOURS if session_hours is None else session_hours,
        days=days,
        initial_price=PRISM_INITIAL_PRICE,
    )


def prism_plan(bars: Any, base: Any, *, days: int | None = None) -> PrismPlan:
    """Match a PRISM run to one symbol's observed bars (a polars frame sorted by ts).

    * Daily or slower observed bars (median spacing >= 20 hours): one simulated session is one bar
      (open = first trade, high/low = session extremes, close = last trade, volume = shares traded);
      a path has ``days`` sessions, by default the observed bar count capped at
      ``PRISM_MAX_DAYS``, and reuses the observed timestamps.
    * Intraday observed bars: the sessions' trades are bucketed into bars of the observed spacing
      (:func:`trade2026.sim.prism.bars_from_trades`; intervals without trades are skipped), with as
      many sessions as it takes to cover the observed bar count (same cap), on PRISM's own
      timestamps.

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
    """One PRISM seed per path, derived deterministically from the Monte Carlo ``seed`` (>= 0)."""
    if seed < 0:
        msg = f"the seed must be >= 0 (got {seed})"
        raise InputError(msg)
    return [int(s) for s in np.random.SeedSequence([int(seed), 0x5052]).generate_state(n_paths)]


def prism_bars(cfg: Any, every: str | None, n_bars: int, *, symbol: str, ts: Any = None, scale: float = 1.0) -> Any:
    """Canonical bars of one PRISM run (see :func:`prism_plan`): ``n_bars`` rows at most, prices
    multiplied by ``scale``; with one bar per session, stamped ``ts`` when given (else each
    session's open)."""
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
        return pl.DataFrame(
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
