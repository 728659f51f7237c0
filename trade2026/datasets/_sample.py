"""A deterministic synthetic equity universe to research on offline.

Daily bars come from a factor model: a market factor and one factor per sector, each with
GARCH(1,1) variance and Student-t innovations (volatility clustering, fat tails), a two-state
bull/bear Markov regime that shifts the market's drift and volatility, per-stock betas and GARCH
idiosyncratic noise. A few symbols list late and a few delist. A handful of symbols also get ticks
(Poisson arrivals, U-shaped intraday intensity, a Brownian bridge from the day's open to its close)
over the last days, from which 1-minute bars are built; those days' daily bars are made consistent
with the ticks. Same parameters, same seed -> identical frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trade2026.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

SECTORS = ("Technology", "Financials", "Health Care", "Energy", "Consumer", "Industrials")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRADING_DAYS = 252


@dataclass(frozen=True)
class SampleSpec:
    """Parameters of the sample universe (the defaults are ``datasets/sample.toml``)."""

    symbols: int = 60
    years: int = 12
    seed: int = 0
    start: str = "2013-01-02"
    intraday_symbols: int = 3
    intraday_days: int = 5
    ticks_per_day: int = 4000
    sectors: tuple[str, ...] = field(default=SECTORS)

    def check(self) -> None:
        if not 2 <= self.symbols <= 2000:
            raise ConfigError(f"symbols must be between 2 and 2000, got {self.symbols}")
        if not 1 <= self.years <= 50:
            raise ConfigError(f"years must be between 1 and 50, got {self.years}")
        if self.seed < 0:
            raise ConfigError(f"seed must be >= 0, got {self.seed}")
        if not 0 <= self.intraday_symbols <= self.symbols:
            raise ConfigError(f"intraday_symbols must be between 0 and symbols ({self.symbols})")
        if not 1 <= self.intraday_days <= 60:
            raise ConfigError(f"intraday_days must be between 1 and 60, got {self.intraday_days}")
        if not 10 <= self.ticks_per_day <= 1_000_000:
            raise ConfigError(f"ticks_per_day must be between 10 and 1,000,000, got {self.ticks_per_day}")
        try:
            dt.date.fromisoformat(self.start)
        except ValueError:
            raise ConfigError(f"start must be an ISO date (YYYY-MM-DD), got {self.start!r}") from None


@dataclass(frozen=True)
class SampleData:
    """The generated tables: ``bars_1d``, ``bars_1m``, ``ticks`` and ``symbols`` (metadata)."""

    bars_1d: pl.DataFrame
    bars_1m: pl.DataFrame
    ticks: pl.DataFrame
    symbols: pl.DataFrame
    regimes: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"bars_1d": self.bars_1d, "bars_1m": self.bars_1m, "ticks": self.ticks, "symbols": self.symbols}


def _tickers(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        length = 3 if rng.random() < 0.6 else 4
        name = "".join(_LETTERS[i] for i in rng.integers(0, 26, length))
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _garch(rng: np.random.Generator, n: int, k: int, ann_vol: np.ndarray, dof: float) -> np.ndarray:
    """(n, k) GARCH(1,1) returns with unit-variance Student-t innovations, annual vol ``ann_vol``."""
    import numpy as np

    alpha, beta = 0.08, 0.90
    var_target = (ann_vol / np.sqrt(TRADING_DAYS)) ** 2
    omega = var_target * (1 - alpha - beta)
    z = rng.standard_t(dof, size=(n, k)) / np.sqrt(dof / (dof - 2))
    out = np.empty((n, k))
    var = var_target.copy()
    for t in range(n):
        eps = np.sqrt(var) * z[t]
        out[t] = eps
        var = omega + alpha * eps**2 + beta * var
    return out


def _regimes(rng: np.random.Generator, n: int) -> np.ndarray:
    """A bull (0) / bear (1) Markov chain; bull spells last ~2 years, bear ~4 months."""
    import numpy as np

    stay = np.array([1 - 1 / 500, 1 - 1 / 80])
    state = np.empty(n, dtype=np.int8)
    s = 0
    u = rng.random(n)
    for t in range(n):
        state[t] = s
        if u[t] > stay[s]:
            s = 1 - s
    return state


def business_days(start: str, n: int) -> np.ndarray:
    import numpy as np

    first = np.datetime64(start, "D")
    days = np.arange(first, first + np.timedelta64(int(n * 1.5) + 10, "D"))
    return days[np.is_busday(days)][:n]


def generate(spec: SampleSpec | None = None, **kw: Any) -> SampleData:
    """Generate the sample universe. Keyword arguments override fields of ``spec``."""
    import numpy as np
    import polars as pl

    spec = spec or SampleSpec()
    if kw:
        spec = SampleSpec(**{**spec.__dict__, **kw})
    spec.check()
    rng = np.random.default_rng(spec.seed)
    n_days = spec.years * TRADING_DAYS
    n_sym = spec.symbols
    days = business_days(spec.start, n_days)

    names = _tickers(rng, n_sym)
    sectors = np.arange(n_sym) % len(spec.sectors)
    regime = _regimes(rng, n_days)
    mkt_vol_mult = np.where(regime == 1, 1.8, 1.0)
    mkt_drift = np.where(regime == 1, -0.25, 0.10) / TRADING_DAYS

    market = _garch(rng, n_days, 1, np.array([0.14]), dof=5.0)[:, 0] * mkt_vol_mult + mkt_drift
    sector_f = _garch(rng, n_days, len(spec.sectors), np.full(len(spec.sectors), 0.09), dof=5.0)
    sector_f *= np.sqrt(mkt_vol_mult)[:, None]
    idio_vol = rng.uniform(0.15, 0.40, n_sym)
    idio = _garch(rng, n_days, n_sym, idio_vol, dof=4.0)
    beta_m = rng.uniform(0.6, 1.5, n_sym)
    beta_s = rng.uniform(0.6, 1.3, n_sym)
    alpha = rng.normal(0.0, 0.04, n_sym) / TRADING_DAYS
    # Log returns: alpha + betas * factors + idiosyncratic; a convexity term keeps prices sane.
    ret = alpha + market[:, None] * beta_m + sector_f[:, sectors] * beta_s + idio
    ret = np.clip(ret, -0.5, 0.5)

    start_px = np.exp(rng.uniform(np.log(15), np.log(400), n_sym))
    close = start_px * np.exp(np.cumsum(ret, axis=0))
    # Overnight share of each day's move gives the open; the range comes from intraday noise.
    daily_sigma = np.sqrt(np.maximum(np.abs(ret), 1e-4)) * 0.0 + np.abs(ret) + idio_vol / np.sqrt(TRADING_DAYS)
    prev_close = np.vstack([start_px[None, :], close[:-1]])
    overnight = ret * rng.uniform(0.1, 0.4, (n_days, n_sym)) + rng.normal(0, 0.002, (n_days, n_sym))
    open_ = prev_close * np.exp(overnight)
    top = np.maximum(open_, close)
    bot = np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0, 0.5, (n_days, n_sym))) * daily_sigma * 0.6)
    low = bot * np.exp(-np.abs(rng.normal(0, 0.5, (n_days, n_sym))) * daily_sigma * 0.6)
    base_vol = np.exp(rng.uniform(np.log(2e5), np.log(2e7), n_sym))
    vol_noise = np.empty((n_days, n_sym))
    v = np.zeros(n_sym)
    shocks = rng.normal(0, 0.25, (n_days, n_sym))
    for t in range(n_days):
        v = 0.7 * v + shocks[t]
        vol_noise[t] = v
    volume = np.round(base_vol * np.exp(vol_noise) * (1 + 8 * np.abs(ret - market[:, None] * 0)))

    # Late listings and delistings: a few symbols have a shorter life.
    first = np.zeros(n_sym, dtype=np.int64)
    last = np.full(n_sym, n_days - 1, dtype=np.int64)
    reserved = set(range(spec.intraday_symbols))
    pool = [i for i in range(n_sym) if i not in reserved]
    n_change = max(1, n_sym // 15) if len(pool) >= 4 else 0
    picks = rng.permutation(pool)[: 2 * n_change] if n_change else np.array([], dtype=np.int64)
    for i in picks[:n_change]:
        first[i] = int(rng.integers(n_days // 6, n_days // 2))
    for i in picks[n_change:]:
        last[i] = int(rng.integers(n_days // 2, n_days - n_days // 10))

    # Intraday ticks for the first few symbols over the last days; daily bars follow the ticks.
    tick_frames = []
    intraday_days = days[-spec.intraday_days :]
    for i in range(spec.intraday_symbols):
        for j, day in enumerate(intraday_days):
            t_idx = n_days - spec.intraday_days + j
            ticks = _day_ticks(
                rng,
                names[i],
                day,
                open_[t_idx, i],
                close[t_idx, i],
                idio_vol[i] + 0.1,
                spec.ticks_per_day,
                volume[t_idx, i],
            )
            high[t_idx, i] = ticks["price"].max()
            low[t_idx, i] = ticks["price"].min()
            open_[t_idx, i] = ticks["price"][0]
            close[t_idx, i] = ticks["price"][-1]
            volume[t_idx, i] = ticks["size"].sum()
            tick_frames.append(ticks)

    ts = days.astype("datetime64[us]")
    frames = []
    for i in range(n_sym):
        sl = slice(first[i], last[i] + 1)
        frames.append(
            pl.DataFrame(
                {
                    "symbol": [names[i]] * (last[i] - first[i] + 1),
                    "ts": ts[sl],
                    "open": open_[sl, i],
                    "high": high[sl, i],
                    "low": low[sl, i],
                    "close": close[sl, i],
                    "volume": volume[sl, i].astype(np.float64),
                }
            )
        )
    bars = pl.concat(frames).with_columns(pl.col("ts").dt.replace_time_zone("UTC")).sort("symbol", "ts")
    if tick_frames:
        ticks_df = (
            pl.DataFrame(
                {k: np.concatenate([f[k] for f in tick_frames]) for k in ("symbol", "ts", "price", "size", "side")}
            )
            .with_columns(
                pl.col("ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
                pl.col("side").cast(pl.Int8),
            )
            .sort("symbol", "ts")
            .with_columns(pl.col("ts").dt.date().alias("date"))
        )
        from trade2026.lake._bars import build_bars

        bars_1m = build_bars(ticks_df, "time:1m")
    else:
        from trade2026.lake._bars import _empty

        ticks_df = pl.DataFrame(
            schema={
                "symbol": pl.String,
                "ts": pl.Datetime("us", "UTC"),
                "price": pl.Float64,
                "size": pl.Float64,
                "side": pl.Int8,
                "date": pl.Date,
            }
        )
        bars_1m = _empty()
    meta = pl.DataFrame(
        {
            "symbol": names,
            "sector": [spec.sectors[s] for s in sectors],
            "listed": days[first].astype("datetime64[D]").astype(dt.date).tolist(),
            "delisted": [days[last[i]].astype(dt.date) if last[i] < n_days - 1 else None for i in range(n_sym)],
            "beta": beta_m,
            "shares_out": np.round(base_vol * rng.uniform(50, 300, n_sym)),
        },
        schema_overrides={"delisted": pl.Date},
    ).sort("symbol")
    regimes = pl.DataFrame({"ts": ts, "regime": np.where(regime == 1, "bear", "bull")}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC")
    )
    return SampleData(bars_1d=bars, bars_1m=bars_1m, ticks=ticks_df, symbols=meta, regimes=regimes)


def _day_ticks(
    rng: np.random.Generator,
    symbol: str,
    day: np.datetime64,
    open_px: float,
    close_px: float,
    ann_vol: float,
    n_mean: int,
    daily_volume: float,
) -> dict[str, Any]:
    """One session of ticks, 14:30-21:00 UTC, from ``open_px`` to ``close_px``."""
    import numpy as np

    session_us = int(6.5 * 3600 * 1e6)
    n = max(10, int(rng.poisson(n_mean)))
    # U-shaped intensity: more trades near the open and the close (inverse-CDF of a beta(0.6, 0.6)).
    u = np.sort(rng.beta(0.6, 0.6, n))
    offsets = np.unique((u * (session_us - 1)).astype(np.int64))
    n = offsets.size
    t_frac = offsets / session_us
    sigma = ann_vol / np.sqrt(TRADING_DAYS)
    steps = rng.normal(0, 1, n) * np.sqrt(np.diff(np.concatenate([[0.0], t_frac])))
    walk = np.cumsum(steps) * sigma
    log_path = np.log(open_px) + walk - t_frac * (walk[-1] - (np.log(close_px) - np.log(open_px)))
    price = np.round(np.exp(log_path), 2)
    price = np.maximum(price, 0.01)
    size = np.maximum(1, np.round(rng.pareto(1.5, n) * 30 + 1)) * np.maximum(1.0, daily_volume / (n * 300.0)).round()
    side = np.zeros(n, dtype=np.int8)
    diff = np.diff(price)
    for k in range(1, n):
        side[k] = 1 if diff[k - 1] > 0 else (-1 if diff[k - 1] < 0 else side[k - 1])
    base = np.datetime64(str(day), "us") + np.timedelta64(14 * 3600 + 30 * 60, "s")
    return {
        "symbol": np.array([symbol] * n),
        "ts": base + offsets.astype("timedelta64[us]"),
        "price": price.astype(np.float64),
        "size": size.astype(np.float64),
        "side": side,
    }


def check_sample_targets(lake: Any, data: SampleData) -> None:
    """Refuse (InputError) when a table the sample would replace holds data it did not write."""
    from trade2026.errors import InputError

    theirs = [t for t in data.tables() if lake.exists(t) and lake.last_source(t) != "sample"]
    if theirs:
        msg = (
            f"table(s) {', '.join(theirs)} in {lake.root} hold data the sample generator did not write; "
            "use another home for the sample, or force it to replace them"
        )
        raise InputError(msg, option="force")


def write_sample(lake: Any, data: SampleData, *, force: bool = False) -> dict[str, Any]:
    """Write the sample tables to the lake, replacing an earlier sample (returns rows per table).

    A table whose current version was not written by the sample generator (your own ingested
    bars, say) is not replaced unless ``force``: the check covers every table before anything is
    written, and holds again at each table's commit (a concurrent ingest makes it refuse rather than
    be overwritten). Replaced versions stay readable (``Lake.read(..., version=N)``) until a vacuum.
    """
    if not force:
        check_sample_targets(lake, data)
    out: dict[str, Any] = {}
    for name, frame in data.tables().items():
        res = lake.write(
            name,
            frame,
            mode="overwrite",
            partition_by=["date"] if name == "ticks" else None,
            source="sample",
            guard_source=None if force else "sample",  # the ownership check holds at commit time
        )
        out[name] = {"rows": frame.height, "version": res.version}
    return out
