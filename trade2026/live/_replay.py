"""A strategy trading the paper venue over a replay of lake bars, the way the backtest engine fills.

Each bar is two market events. At the open the venue quotes ``open -/+ slippage`` (the backtest's
slippage: ``slippage_bps`` of the price plus ``slippage_range`` times the bar's range); every symbol
whose target changed at the previous close is sized against the equity at the open and sent as a
market order through risk, the journal and the venue. At the close the book is marked and the
strategy's new targets are read. With ``fill="close"`` the orders go at the close instead. This is
``run_backtest``'s convention (``mode="portfolio"``: one account, a symbol's target weight is its
strategy position divided by the number of symbols; with one symbol the same as ``per_symbol``),
so the fills, positions and equity agree with it on the same bars.

Targets of a backtest strategy come from ``trade2026.backtest.strategy_positions`` over the replayed
bars: a position on bar t uses bars up to t only (the backtest's no-look-ahead property), so computing
them up front gives the targets a bar-by-bar computation would. A registered model
(:class:`~trade2026.live.ModelStrategy`) is asked at each bar's close, given only the bars up
to that close and the book there.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError
from trade2026.live._engine import Reconciliation, TradingEngine
from trade2026.live._models import ModelStrategy
from trade2026.live._risk import RiskLimits
from trade2026.live._venue import PaperVenue

_UNSUPPORTED = ("stop_loss", "take_profit", "trailing_stop", "borrow_bps")


def target_shares(
    w: float,
    equity: float,
    s0: float,
    p_buy: float,
    p_sell: float,
    base: float,
    *,
    sizing: str,
    notional: float,
    commission_bps: float,
    commission_per_share: float,
    commission_fixed: float,
) -> float:
    """Shares after rebalancing to weight ``w`` under the backtest's sizing convention: the backtest
    engine's own rule (:func:`trade2026.core.target_shares_nb`), with its settings by name."""
    from trade2026.core import SIZING_FRACTION, SIZING_NOTIONAL, target_shares_nb

    mode = SIZING_NOTIONAL if sizing == "notional" else SIZING_FRACTION
    return float(
        target_shares_nb(
            float(w), float(equity), float(s0), float(p_buy), float(p_sell), float(base), mode, float(notional),
            commission_bps * 1e-4, float(commission_per_share), float(commission_fixed),
        )
    )  # fmt: skip


def check_live_config(cfg: Any) -> None:
    """The backtest settings the live loop trades with: costs, sizing and fill; no stops or borrow."""
    bad = [n for n in _UNSUPPORTED if getattr(cfg, n)]
    if bad:
        msg = f"the live loop does not simulate {', '.join(bad)}; set {' and '.join(bad)} to 0"
        raise ConfigError(msg, option=bad[0])
    if cfg.sizing == "vol_target":
        msg = "the live loop sizes by fraction or notional; sizing='vol_target' is backtest-only"
        raise ConfigError(msg, option="sizing")


@dataclass
class ReplayResult:
    """A finished replay: the engine's summary, the reconciliation, and per-bar equity."""

    summary: dict[str, Any]
    reconciliation: Reconciliation
    equity: list[tuple[Any, float]] = field(default_factory=list)
    fills: list[dict[str, Any]] = field(default_factory=list)
    bars: int = 0
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary,
            "bars": self.bars,
            "stopped_early": self.stopped,
            "reconciliation": self.reconciliation.to_dict(),
            "final_equity": self.equity[-1][1] if self.equity else self.summary.get("equity"),
        }


def replay_targets(bars: Any, strategy: str | ModelStrategy) -> tuple[Any, Any]:
    """The bars' panel and the strategy's target weights (n_bars, n_symbols), portfolio convention
    (None for a model: it decides bar by bar)."""
    import numpy as np
    import polars as pl

    from trade2026.backtest import parse_strategy, strategy_positions
    from trade2026.core import bars_panel

    if isinstance(strategy, ModelStrategy):
        return bars_panel(bars), None
    name, params = parse_strategy(strategy)
    extra = (params["column"],) if name == "signal" else ()
    panel = bars_panel(bars, extra_columns=extra)
    pos = strategy_positions(strategy, bars)
    if not isinstance(pos, pl.DataFrame):  # pandas bars give pandas positions
        pos = pl.from_pandas(pos)
    ts_index = pl.DataFrame({"ts": panel.ts, "_t": np.arange(panel.n_bars)})
    sym_index = pl.DataFrame({"symbol": panel.symbols, "_k": np.arange(panel.n_symbols)})
    j = pos.with_columns(pl.col("ts").cast(panel.ts.dtype)).join(ts_index, on="ts").join(sym_index, on="symbol")
    target = np.zeros((panel.n_bars, panel.n_symbols))
    vals = j["position"].cast(pl.Float64).fill_null(0.0).to_numpy()
    target[j["_t"].to_numpy(), j["_k"].to_numpy()] = np.where(np.isfinite(vals), vals, 0.0)
    return panel, target / max(panel.n_symbols, 1)


def book_weights(engine: TradingEngine, symbols: Any) -> dict[str, float]:
    """The live book as a model sees it: each symbol's position weight at its mark, and ``"_cash"``."""
    p = engine.portfolio
    eq = p.equity()
    if not eq > 0:
        return {"_cash": 0.0}
    out = {"_cash": p.cash / eq}
    for s in symbols:
        pos = p.positions.get(s)
        if pos is not None and pos.qty != 0.0 and math.isfinite(pos.mark):
            out[s] = pos.qty * pos.mark / eq
    return out


def model_targets(model: Any, history: Any, ts: Any, engine: TradingEngine, symbols: Any) -> list[float]:
    """A model's targets at bar ``ts`` (portfolio convention), from the bars up to ``ts`` only."""
    import polars as pl

    got = model.weights(history.filter(pl.col("ts") <= ts), book_weights(engine, symbols))
    scale = 1.0 if model.cross_sectional else 1.0 / max(len(symbols), 1)
    return [w * scale if math.isfinite(w := got.get(s, 0.0)) else 0.0 for s in symbols]


def replay_paper(
    bars: Any,
    strategy: str | ModelStrategy,
    *,
    run_dir: str | Path,
    config: Any = None,
    limits: RiskLimits | None = None,
    speed: float = 0.0,
    fsync: bool = True,
    setup: Callable[[TradingEngine], None] | None = None,
    on_bar: Callable[[TradingEngine, Any], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_stop: str = "leave",
) -> tuple[ReplayResult, TradingEngine, PaperVenue]:
    """Trade ``strategy`` on the paper venue over ``bars``.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long bars (symbol, ts, open, high, low, close; the signal column for ``signal:COLUMN``).
    strategy : str or ModelStrategy
        A backtest strategy spec (``"sma_cross:fast=20,slow=50"``, ``"signal:pred"``), or a registered
        model (:func:`~trade2026.live.load_model_strategy`).
    run_dir : str or Path
        The run's journal directory (its name is the run id).
    config : BacktestConfig, optional
        Costs, sizing, fill and ``init_cash`` (stops and borrow are not simulated).
    limits : RiskLimits, optional
        Pre-trade limits; the rate limit runs on replay time (the bars' timestamps).
    speed : float
        Bars per second of wall time; 0 (default) replays as fast as it can.
    setup : callable, optional
        Called with the engine before it starts (to attach ``on_fill`` / ``on_order`` hooks).
    on_bar : callable, optional
        Called with ``(engine, ts)`` after each bar's close (the lake sink, progress).
    should_stop : callable, optional
        Polled between bars; True ends the replay early (SIGINT / SIGTERM).
    on_stop : {"leave", "cancel"}
        What happens to working orders at the end: left at the venue, or canceled.

    Returns
    -------
    (ReplayResult, TradingEngine, PaperVenue)
        The engine is closed; its portfolio and orders stay readable.
    """
    from trade2026.backtest import make_config

    if on_stop not in ("leave", "cancel"):
        msg = f"on_stop must be 'leave' or 'cancel', got {on_stop!r}"
        raise ConfigError(msg, option="on_stop")
    cfg = make_config(config)
    check_live_config(cfg)
    panel, target = replay_targets(bars, strategy)
    history = None
    if target is None:
        from trade2026.core import to_polars

        history = to_polars(bars, what="bars")[0]
    if cfg.mode != "portfolio" and panel.n_symbols > 1:
        msg = "the live loop trades one account: with several symbols use mode='portfolio' (one book, equal weights)"
        raise ConfigError(msg, option="mode")
    venue = PaperVenue(
        cfg.init_cash,
        commission_bps=cfg.commission_bps,
        commission_per_share=cfg.commission_per_share,
        commission_fixed=cfg.commission_fixed,
        max_history=2**62,  # every fill is part of the replay's result
    )
    now = [0.0]
    engine = TradingEngine(venue, run_dir, cash=cfg.init_cash, limits=limits, clock=lambda: now[0], fsync=fsync)
    if setup is not None:
        setup(engine)
    rec = engine.start()
    result = ReplayResult(summary={}, reconciliation=rec)
    ts_list = panel.ts.to_list()
    o, h, lo, c = panel.open, panel.high, panel.low, panel.close
    k = panel.n_symbols
    last_target = [0.0] * k
    pending: dict[int, float] = {}
    day = None
    fill_close = cfg.fill == "close"
    t0 = time.monotonic()
    for t, ts in enumerate(ts_list):
        if should_stop is not None and should_stop():
            result.stopped = True
            break
        if speed > 0:
            wait = t0 + t / speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        now[0] = ts.timestamp() if isinstance(ts, dt.datetime) else float(t)
        today = ts.date() if isinstance(ts, dt.datetime) else t
        if today != day:
            if day is not None:
                engine.new_day()
            day = today
        tns = int(now[0] * 1e9)
        base_px = c[t] if fill_close else o[t]
        for j, sym in enumerate(panel.symbols):
            base = float(base_px[j])
            if math.isfinite(base):
                sl = base * cfg.slippage_bps * 1e-4 + cfg.slippage_range * (float(h[t, j]) - float(lo[t, j]))
                venue.set_quote(sym, base - sl, base + sl, tns)
                engine.portfolio.mark(sym, base)
        if pending and engine.risk.state != "halted":
            equity = engine.portfolio.equity()
            orders: list[tuple[str, float, float | None]] = []
            for j in sorted(pending):
                base = float(base_px[j])
                if not math.isfinite(base):
                    continue
                w = pending.pop(j)
                sym = panel.symbols[j]
                bid, ask = venue.quotes[sym]
                s0 = engine.portfolio.qty(sym)
                s1 = target_shares(
                    w,
                    equity,
                    s0,
                    ask,
                    bid,
                    base,
                    sizing=cfg.sizing,
                    notional=cfg.notional,
                    commission_bps=cfg.commission_bps,
                    commission_per_share=cfg.commission_per_share,
                    commission_fixed=cfg.commission_fixed,
                )
                if s1 - s0 != 0.0:
                    orders.append((sym, s1 - s0, None))
            if orders:
                engine.submit_many(orders)
        for j, sym in enumerate(panel.symbols):
            engine.portfolio.mark(sym, float(c[t, j]))
        result.equity.append((ts, engine.portfolio.equity()))
        row = target[t] if target is not None else model_targets(strategy, history, ts, engine, panel.symbols)
        for j in range(k):
            w = float(row[j])
            if w != last_target[j]:
                last_target[j] = w
                pending[j] = w
        result.bars = t + 1
        if on_bar is not None:
            on_bar(engine, ts)
    if on_stop == "cancel":
        engine.cancel_all()
    engine.flush()
    result.summary = engine.summary()
    result.fills = [f.to_dict() for f in venue.fills]
    engine.close()
    return result, engine, venue
