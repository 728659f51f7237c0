"""Run a PRISM market day by day and turn the kernel's arrays into polars frames."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

# The one time-bar builder; re-exported as trade2026.sim.prism.bars_from_trades (its old home).
from trade2026.lake import bars_from_trades
from trade2026.sim.prism import _agents as A
from trade2026.sim.prism._clock import KERNELS, NS, S_FILLED, S_ORDERS, S_SLIP, S_SLIP_QTY, S_SUBMITTED, run_session
from trade2026.sim.prism._config import AGENT_TYPES, PrismConfig

TS = pl.Datetime("us", "UTC")


def run_id_for(cfg: PrismConfig) -> str:
    """A deterministic id of a configuration (same config and seed -> same id)."""
    blob = json.dumps(cfg.to_dict(), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _agent_arrays(cfg: PrismConfig) -> tuple[np.ndarray, np.ndarray, list[str]]:
    types: list[int] = []
    rows: list[np.ndarray] = []
    names: list[str] = []
    for code, kind in enumerate(AGENT_TYPES):
        n = cfg.agents.get(kind, 0)
        p = cfg.params[kind]
        row = np.zeros(A.N_PARAMS)
        row[A.P_RATE], row[A.P_LATENCY], row[A.P_SIZE], row[A.P_MAXPOS] = p.rate, p.latency, p.size, p.max_position
        if code == A.MM:
            row[A.P_HALF], row[A.P_VOLW], row[A.P_SKEW] = p.half_spread, p.vol_widen, p.skew
            row[A.P_LEVELS], row[A.P_GAP] = p.levels, p.gap
        elif code == A.NOISE:
            row[A.P_PMKT], row[A.P_OFFSET], row[A.P_PCANCEL], row[A.P_SIZESIG] = (
                p.p_market,
                p.offset,
                p.p_cancel,
                p.size_sigma,
            )
        elif code == A.VALUE:
            row[A.P_OBS], row[A.P_VTHRESH], row[A.P_PAGGR] = p.obs_noise, p.threshold, p.p_aggressive
        else:
            row[A.P_LOOKMIN], row[A.P_LOOKMAX], row[A.P_MTHRESH] = p.lookback_min, p.lookback_max, p.threshold
        for i in range(n):
            types.append(code)
            rows.append(row.copy())
            names.append(f"{kind}{i}")
    return np.array(types, dtype=np.int64), np.vstack(rows), names


@dataclass
class _FundamentalState:
    x: float
    h: float
    m: float


def _fundamental_day(
    cfg: PrismConfig, rng: np.random.Generator, st: _FundamentalState
) -> tuple[np.ndarray, np.ndarray]:
    """Log-fundamental (in log ticks) and activity per second for one session."""
    f = cfg.fundamental
    n = cfg.session_s
    dt_day = 1.0 / n
    x0 = np.log(cfg.initial_price / cfg.tick_size)
    rho_h = 0.5 ** (1.0 / f.activity_halflife_s)
    sd_h = f.activity_sd * np.sqrt(1.0 - rho_h**2)
    rho_m = 0.5 ** (1.0 / f.momentum_halflife_s)
    z = rng.standard_normal(n)
    zh = rng.standard_normal(n)
    jumps = rng.random(n) < f.jump_rate * dt_day
    jsize = rng.standard_normal(n) * f.jump_sd
    norm = np.exp(0.5 * f.activity_sd**2)
    x = np.empty(n + 1)
    act = np.empty(n + 1)
    xs, h, m = st.x, st.h, st.m
    sig = f.sigma_daily * np.sqrt(dt_day)
    for i in range(n):  # 23,400 steps of scalar arithmetic: ~10 ms
        x[i] = xs
        a = np.exp(h) / norm
        act[i] = a
        dx = -f.kappa * (xs - x0) * dt_day + f.phi * m + sig * np.sqrt(a) * z[i]
        if jumps[i]:
            dx += jsize[i]
        m = rho_m * m + (1.0 - rho_m) * dx
        xs += dx
        h = rho_h * h + sd_h * zh[i]
    x[n] = xs
    act[n] = np.exp(h) / norm
    st.x, st.h, st.m = xs, h, m
    return x, act


def session_dates(start: dt.date, days: int) -> list[dt.date]:
    """``days`` business days (Mon-Fri) from ``start`` (moved forward to a weekday)."""
    out: list[dt.date] = []
    d = start
    while len(out) < days:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


@dataclass
class PrismDay:
    """One simulated session's raw output (prices in ticks, times in ns since the open)."""

    date: dt.date
    trades: np.ndarray
    quotes: np.ndarray
    depth: np.ndarray
    mid: np.ndarray
    fundamental: np.ndarray
    stats: np.ndarray
    n_messages: int


@dataclass
class PrismRun:
    """A whole run: the configuration, its id, agent end states and frames per table."""

    config: PrismConfig
    run_id: str
    agent_names: list[str]
    agent_types: np.ndarray
    cash: np.ndarray
    position: np.ndarray
    initial_cash: np.ndarray
    initial_position: np.ndarray
    days: list[PrismDay] = field(default_factory=list)
    n_messages: int = 0

    def frames(self) -> dict[str, pl.DataFrame]:
        """``trades``, ``ticks``, ``quotes``, ``depth``, ``bars_1m``, ``fundamental`` and ``agents``."""
        return build_frames(self)


def announce_compile() -> None:
    """Say (through :func:`trade2026._jit.compile_notice`) that the PRISM kernels compile now, if
    they have no cache yet: call before the first session of a process or a fan-out."""
    from trade2026._jit import compile_notice

    compile_notice(KERNELS, "PRISM")


def iter_days(cfg: PrismConfig) -> Iterator[tuple[PrismDay, np.ndarray, np.ndarray, np.ndarray, list[str]]]:
    """Simulate session after session; yields each day with the agents' cash/positions after it."""
    cfg.validate()
    announce_compile()
    types, prm, names = _agent_arrays(cfg)
    n_levels = round(4 * cfg.initial_price / cfg.tick_size)
    ss = np.random.SeedSequence(cfg.seed)
    fund_rng = np.random.default_rng(ss.spawn(1)[0])
    day_seeds = ss.generate_state(cfg.days, dtype=np.uint32)
    state = _FundamentalState(np.log(cfg.initial_price / cfg.tick_size), 0.0, 0.0)
    pos = np.zeros(len(types), dtype=np.int64)
    cash = np.zeros(len(types), dtype=np.int64)
    ref = cfg.initial_price / cfg.tick_size
    power = cfg.fundamental.activity_rate_power
    for k, date in enumerate(session_dates(cfg.start, cfg.days)):
        logx, act = _fundamental_day(cfg, fund_rng, state)
        fund = np.exp(logx)
        trades, quotes, depth, mid, stats, nmsg = run_session(
            int(day_seeds[k]),
            cfg.session_s,
            n_levels,
            types,
            prm,
            pos,
            cash,
            fund,
            act**power,
            float(ref),
            cfg.depth_levels,
            cfg.snapshot_s,
        )
        if len(trades):
            ref = float(trades[-1, 1])
        yield PrismDay(date, trades, quotes, depth, mid, fund, stats, int(nmsg)), types, pos, cash, names


def simulate(cfg: PrismConfig) -> PrismRun:
    """Run the whole configuration in memory."""
    run: PrismRun | None = None
    for day, types, pos, cash, names in iter_days(cfg):
        if run is None:
            z = np.zeros(len(types), dtype=np.int64)
            run = PrismRun(cfg, run_id_for(cfg), names, types, cash, pos, z, z.copy())
        run.days.append(day)
        run.n_messages += day.n_messages
    assert run is not None
    return run


def _day_frames(
    cfg: PrismConfig, run_id: str, day: PrismDay, names: list[str], types: np.ndarray
) -> dict[str, pl.DataFrame]:
    tick = cfg.tick_size
    open_ns = int(dt.datetime.combine(day.date, cfg.open_time, tzinfo=dt.UTC).timestamp() * 1e9)
    sym, date = cfg.symbol, day.date

    def ts(ns: np.ndarray) -> pl.Series:
        return pl.Series("ts", (open_ns + ns) // 1000).cast(pl.Int64).cast(TS)

    tr = day.trades
    names_arr = np.array(names)
    trades = pl.DataFrame(
        {
            "run_id": run_id,
            "symbol": sym,
            "ts": ts(tr[:, 0]),
            "price": np.round(tr[:, 1] * tick, 10),
            "size": tr[:, 2].astype(np.float64),
            "side": tr[:, 3].astype(np.int8),
            "buyer": names_arr[tr[:, 4]] if len(tr) else np.array([], dtype=str),
            "seller": names_arr[tr[:, 5]] if len(tr) else np.array([], dtype=str),
            "buy_order": tr[:, 6],
            "sell_order": tr[:, 7],
            "date": date,
        }
    ).with_columns(pl.col("run_id", "symbol").cast(pl.String), pl.lit(date).alias("date"))
    trades = trades.with_columns(pl.int_range(pl.len()).alias("seq"))
    q = day.quotes
    n_levels = round(4 * cfg.initial_price / cfg.tick_size)
    bid = np.where(q[:, 1] >= 0, q[:, 1] * tick, np.nan)
    ask = np.where(q[:, 3] < n_levels, q[:, 3] * tick, np.nan)
    quotes = pl.DataFrame(
        {
            "run_id": run_id,
            "symbol": sym,
            "ts": ts(q[:, 0]),
            "bid": np.round(bid, 10),
            "bid_size": q[:, 2].astype(np.float64),
            "ask": np.round(ask, 10),
            "ask_size": q[:, 4].astype(np.float64),
        }
    ).with_columns(pl.lit(date).alias("date"), pl.int_range(pl.len()).alias("seq"))
    d = day.depth
    k, n = d.shape[0], cfg.depth_levels
    snap_ns = (np.arange(1, k + 1) * cfg.snapshot_s * NS).repeat(n)
    flat = d.reshape(k * n, 4)
    depth = pl.DataFrame(
        {
            "run_id": run_id,
            "symbol": sym,
            "ts": ts(snap_ns),
            "level": np.tile(np.arange(1, n + 1), k).astype(np.int32),
            "bid": np.where(flat[:, 0] >= 0, flat[:, 0] * tick, np.nan),
            "bid_size": flat[:, 1].astype(np.float64),
            "ask": np.where(flat[:, 2] >= 0, flat[:, 2] * tick, np.nan),
            "ask_size": flat[:, 3].astype(np.float64),
        }
    ).with_columns(pl.lit(date).alias("date"))
    secs = np.arange(len(day.mid), dtype=np.int64) * NS
    fundamental = pl.DataFrame(
        {
            "run_id": run_id,
            "symbol": sym,
            "ts": ts(secs),
            "mid": day.mid * tick,
            "fundamental": day.fundamental * tick,
        }
    ).with_columns(pl.lit(date).alias("date"))
    st = day.stats
    agents = pl.DataFrame(
        {
            "run_id": run_id,
            "date": [date] * len(names),
            "agent": names,
            "agent_type": [AGENT_TYPES[t] for t in types],
            "orders": st[:, S_ORDERS],
            "submitted": st[:, S_SUBMITTED],
            "filled": st[:, S_FILLED],
            "slippage_ticks_x_qty": st[:, S_SLIP],
            "aggressive_qty": st[:, S_SLIP_QTY],
        }
    )
    return {"trades": trades, "quotes": quotes, "depth": depth, "fundamental": fundamental, "agent_days": agents}


def day_frames(run: PrismRun, day: PrismDay) -> dict[str, pl.DataFrame]:
    """All tables for one day, including 1-minute bars and canonical ticks."""
    fr = _day_frames(run.config, run.run_id, day, run.agent_names, run.agent_types)
    fr["bars_1m"] = bars_from_trades(fr["trades"])
    fr["ticks"] = fr["trades"].select("symbol", "ts", "price", "size", "side", "date", "run_id")
    return fr


def build_frames(run: PrismRun) -> dict[str, pl.DataFrame]:
    parts: dict[str, list[pl.DataFrame]] = {}
    for day in run.days:
        for name, df in day_frames(run, day).items():
            parts.setdefault(name, []).append(df)
    out = {name: pl.concat(dfs, how="vertical") for name, dfs in parts.items()}
    out["agents"] = agent_summary(run)
    return out


def agent_summary(run: PrismRun) -> pl.DataFrame:
    """Per agent: type, final position, cash (currency) and mark-to-market P&L at the last price."""
    last = None
    for day in reversed(run.days):
        if len(day.trades):
            last = float(day.trades[-1, 1])
            break
    tick = run.config.tick_size
    mark = last if last is not None else run.config.initial_price / tick
    pnl = (run.cash - run.initial_cash + (run.position - run.initial_position) * mark) * tick
    return pl.DataFrame(
        {
            "run_id": run.run_id,
            "agent": run.agent_names,
            "agent_type": [AGENT_TYPES[t] for t in run.agent_types],
            "position": run.position.astype(np.float64),
            "cash": run.cash * tick,
            "pnl": pnl,
        }
    )


def to_dict_safe(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))
