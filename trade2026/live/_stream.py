"""A strategy trading a streaming venue (PRISM venue process, ccxt): quotes -> bars -> targets -> orders.

The loop polls the venue's quote, builds bars of ``bar_seconds`` of venue time from the mid price,
and at each closed bar recomputes the strategy's target on the bars so far (the last ``lookback``)
with ``trade2026.backtest.strategy_positions`` (a registered model: its weights on those bars and the
book); a changed target is sized against the equity at the
current quote (the backtest's sizing, whole shares) and sent as a market order through risk and the
journal. Fills, partial ones included, are polled from the venue every turn of the loop.
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
from trade2026.live._prism import PrismClient
from trade2026.live._replay import book_weights, check_live_config, target_shares
from trade2026.live._risk import RiskLimits

NS = 1_000_000_000
EPOCH = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)


def _bar_time(k: int, bar_ns: int) -> dt.datetime:
    """The end of bar ``k``: venue time is ns since the epoch (a real venue) or since a simulated
    venue's start (PRISM), which is placed at its first session, 2024-01-02."""
    end = (k + 1) * bar_ns
    base = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) if end > 10**17 else EPOCH
    return base + dt.timedelta(microseconds=end // 1000)


@dataclass
class StreamResult:
    """A finished streaming run (same keys as the replay's ``to_dict``)."""

    summary: dict[str, Any]
    reconciliation: Reconciliation
    bars: int = 0
    stopped: bool = False
    equity: list[tuple[Any, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary,
            "bars": self.bars,
            "stopped_early": self.stopped,
            "reconciliation": self.reconciliation.to_dict(),
            "final_equity": self.equity[-1][1] if self.equity else self.summary.get("equity"),
        }


def run_stream(
    venue: Any,
    strategy: str | ModelStrategy,
    *,
    run_dir: str | Path,
    symbol: str = "PRISM",
    config: Any = None,
    limits: RiskLimits | None = None,
    bar_seconds: float = 60.0,
    max_bars: int | None = None,
    lookback: int = 500,
    lot: float = 1.0,
    poll_s: float = 0.002,
    setup: Callable[[TradingEngine], None] | None = None,
    on_bar: Callable[[TradingEngine, Any], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_stop: str = "leave",
) -> tuple[StreamResult, TradingEngine]:
    """Trade ``strategy`` on a streaming venue until a stop.

    Parameters
    ----------
    venue : str or venue object
        ``"prism://HOST:PORT"`` (a ``t26 sim venue`` process), or a venue with ``quote(symbol)``
        (``{"bid", "ask", "ts"}``, ts in ns) and ``close()`` such as :class:`~trade2026.live.CcxtVenue`.
    bar_seconds : float
        Bar length in venue (simulated) seconds.
    max_bars : int, optional
        Stop after this many closed bars (default: until ``should_stop`` or the venue's last session).
    lookback : int
        Bars of history the strategy sees at each decision.
    lot : float
        Order quantities are whole multiples of it (1 share; e.g. 1e-6 BTC on a crypto venue).
    Other parameters as :func:`~trade2026.live.replay_paper`; a run directory with a journal is
    resumed (replayed and reconciled with the venue, which kept the run's orders and fills).
    """
    import polars as pl

    from trade2026.backtest import make_config, parse_strategy, strategy_positions

    cfg = make_config(config)
    check_live_config(cfg)
    model = strategy if isinstance(strategy, ModelStrategy) else None
    spec = "" if model is not None else str(strategy)
    if model is not None and model.symbols is not None and model.symbols != [symbol]:
        msg = f"model {model.ref!r} trades {', '.join(model.symbols)}; this venue trades {symbol}"
        raise ConfigError(msg, option="strategy")
    if model is None and parse_strategy(spec)[0] == "signal":
        msg = "signal:COLUMN strategies trade a replay (venue='paper'); a live venue needs a rule or model"
        raise ConfigError(msg, option="strategy")
    if not bar_seconds > 0:
        msg = f"bar_seconds must be > 0, got {bar_seconds}"
        raise ConfigError(msg, option="bar_seconds")
    client = PrismClient(venue) if isinstance(venue, str) else venue
    engine = TradingEngine(client, run_dir, cash=cfg.init_cash, limits=limits)
    if setup is not None:
        setup(engine)
    result = StreamResult(summary={}, reconciliation=engine.start())
    hist: list[dict[str, Any]] = []
    bar: dict[str, Any] | None = None
    bar_ns = int(bar_seconds * NS)
    last_w = 0.0
    try:
        while True:
            if should_stop is not None and should_stop():
                result.stopped = True
                break
            q = client.quote(symbol)
            engine.poll()
            bid, ask, ts = q["bid"], q["ask"], int(q["ts"])
            if bid is None or ask is None:
                if q.get("closed"):
                    break
                time.sleep(poll_s)
                continue
            mid = (bid + ask) / 2
            engine.portfolio.mark(symbol, mid)
            k = ts // bar_ns
            if bar is not None and k != bar["k"]:
                hist.append(bar)
                del hist[:-lookback]
                result.bars += 1
                ts_bar = _bar_time(bar["k"], bar_ns)
                engine.portfolio.mark(symbol, bar["close"])
                result.equity.append((ts_bar, engine.portfolio.equity()))
                frame = pl.DataFrame(
                    {
                        "symbol": symbol,
                        "ts": [_bar_time(b["k"], bar_ns) for b in hist],
                        **{c: [b[c] for b in hist] for c in ("open", "high", "low", "close")},
                        "volume": [1.0] * len(hist),
                    }
                )
                if model is not None:
                    w = model.weights(frame, book_weights(engine, [symbol])).get(symbol, 0.0)
                else:
                    w = float(strategy_positions(spec, frame)["position"][-1] or 0.0)
                w = 0.0 if not math.isfinite(w) else w
                if w != last_w and engine.risk.state != "halted":
                    s0 = engine.portfolio.qty(symbol)
                    s1 = target_shares(
                        w,
                        engine.portfolio.equity(),
                        s0,
                        ask,
                        bid,
                        mid,
                        sizing=cfg.sizing,
                        notional=cfg.notional,
                        commission_bps=cfg.commission_bps,
                        commission_per_share=cfg.commission_per_share,
                        commission_fixed=cfg.commission_fixed,
                    )
                    dq = round((s1 - s0) / lot) * lot
                    if dq != 0.0:
                        engine.submit(symbol, dq)
                last_w = w
                if on_bar is not None:
                    on_bar(engine, ts_bar)
                bar = None
                if max_bars is not None and result.bars >= max_bars:
                    break
            if bar is None:
                bar = {"k": k, "open": mid, "high": mid, "low": mid, "close": mid}
            else:
                bar["high"], bar["low"], bar["close"] = max(bar["high"], mid), min(bar["low"], mid), mid
            time.sleep(poll_s)
        if on_stop == "cancel":
            engine.cancel_all()
        engine.poll()
        engine.flush()
        result.summary = engine.summary()
    finally:
        engine.close()
        client.close()
    return result, engine
