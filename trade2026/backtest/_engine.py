"""The backtest engine's Python side: configuration, ``run_backtest``, batched parameter sweeps.

Conventions (the kernel in ``_kernels.simulate_nb`` and the reference loop in the tests follow them):

- A target position decided on bar t's close trades on bar t+1, at the open (``fill="open"``, default)
  or at the close (``fill="close"``), and only when the target changes; a bar with no price delays
  the order to the symbol's next bar.
- ``sizing="fraction"``: the target is a fraction of the book's equity; after the fill the position is
  worth ``w * (equity - this order's costs)`` at the fill price (so ``w=1`` from cash spends all of it,
  fees included). ``"notional"``: ``w * notional`` currency units. ``"vol_target"``: the fraction is
  scaled at each signal change by ``target_vol / trailing annualised volatility`` (capped by
  ``max_leverage``), using returns up to the decision bar only.
- Costs: commission in bps of traded notional plus per share plus fixed per fill; slippage of
  ``slippage_bps`` of the price plus ``slippage_range`` times the bar's high-low range, against the
  trade; ``borrow_bps`` a year on short market value, charged at each close.
- Stops (fractions of the entry price): stop-loss, take-profit and trailing stop fill at the stop
  level, or at the open when the bar gaps through it; after a stop the position stays flat until the
  target changes. When a stop and the take-profit are both inside one bar, the stop is assumed first.
- ``mode="per_symbol"``: every symbol trades its own book with ``init_cash``; the result is the sum of
  the books (equal capital, not rebalanced). ``mode="portfolio"``: one book, targets are weights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from trade2026.backtest import _kernels
from trade2026.backtest._signals import entry_exit_targets, signal_columns
from trade2026.backtest._trades import trade_excursions
from trade2026.core import (
    Panel,
    bars_panel,
    check_periods_per_year,
    ffill,
    periods_per_year,
    returns_metrics,
    to_polars,
)
from trade2026.errors import ConfigError, DataError

FILLS = ("open", "close")
SIZINGS = ("fraction", "notional", "vol_target")
MODES = ("per_symbol", "portfolio")
REASONS = {0: "signal", 1: "stop_loss", 2: "take_profit", 3: "trailing_stop"}


@dataclass(frozen=True)
class BacktestConfig:
    """Every setting of a backtest run (costs in basis points, stops as fractions of the entry price)."""

    fill: str = "open"
    commission_bps: float = 0.0
    commission_per_share: float = 0.0
    commission_fixed: float = 0.0
    slippage_bps: float = 0.0
    slippage_range: float = 0.0
    borrow_bps: float = 0.0
    stop_loss: float = 0.0
    take_profit: float = 0.0
    trailing_stop: float = 0.0
    sizing: str = "fraction"
    notional: float = 100_000.0
    target_vol: float = 0.15
    vol_window: int = 20
    max_leverage: float = 2.0
    mode: str = "per_symbol"
    init_cash: float = 1_000_000.0
    periods_per_year: float | None = None  # None: inferred from the bars (trade2026.core.periods_per_year)

    def check(self) -> BacktestConfig:
        if self.fill not in FILLS:
            msg = f"fill must be one of {', '.join(FILLS)}, got {self.fill!r}"
            raise ConfigError(msg)
        if self.sizing not in SIZINGS:
            msg = f"sizing must be one of {', '.join(SIZINGS)}, got {self.sizing!r}"
            raise ConfigError(msg)
        if self.mode not in MODES:
            msg = f"mode must be one of {', '.join(MODES)}, got {self.mode!r}"
            raise ConfigError(msg)
        for name in (
            "commission_bps",
            "commission_per_share",
            "commission_fixed",
            "slippage_bps",
            "slippage_range",
            "borrow_bps",
            "stop_loss",
            "take_profit",
            "trailing_stop",
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                msg = f"{name} must be a finite number >= 0, got {v}"
                raise ConfigError(msg)
        if self.stop_loss >= 1 or self.trailing_stop >= 1:
            msg = "stop_loss and trailing_stop are fractions of the entry price and must be < 1"
            raise ConfigError(msg)
        if not self.init_cash > 0 or not self.notional > 0:
            msg = "init_cash and notional must be > 0"
            raise ConfigError(msg)
        if self.periods_per_year is not None:
            check_periods_per_year(self.periods_per_year)
        if self.sizing == "vol_target" and not (self.target_vol > 0 and self.vol_window >= 2 and self.max_leverage > 0):
            msg = "vol_target sizing needs target_vol > 0, vol_window >= 2 and max_leverage > 0"
            raise ConfigError(msg)
        return self

    @property
    def annual_periods(self) -> float:
        """``periods_per_year`` once resolved (:func:`make_config` with ``bars`` does it)."""
        if self.periods_per_year is None:
            msg = "periods_per_year is unset; build the config with make_config(config, bars=...) to infer it"
            raise ConfigError(msg, option="periods_per_year")
        return float(self.periods_per_year)

    def scaled_costs(self, factor: float) -> BacktestConfig:
        return replace(
            self,
            commission_bps=self.commission_bps * factor,
            commission_per_share=self.commission_per_share * factor,
            commission_fixed=self.commission_fixed * factor,
            slippage_bps=self.slippage_bps * factor,
            slippage_range=self.slippage_range * factor,
            borrow_bps=self.borrow_bps * factor,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_config(config: BacktestConfig | None = None, *, bars: Any = None, **kw: Any) -> BacktestConfig:
    """A checked config from keyword settings (unknown names are an error).

    With ``bars`` (a :class:`~trade2026.core.Panel` or long bars with ``ts``), an unset
    ``periods_per_year`` is inferred from their spacing and calendar
    (:func:`trade2026.core.periods_per_year`: 252 for exchange daily bars, ~6,261 for hourly FX).
    """
    base = config or BacktestConfig()
    known = set(BacktestConfig.__dataclass_fields__)
    unknown = set(kw) - known
    if unknown:
        msg = f"unknown backtest setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        raise ConfigError(msg)
    cfg = replace(base, **kw).check()
    if cfg.periods_per_year is None and bars is not None:
        ts = bars.ts if isinstance(bars, Panel) else bars["ts"]
        cfg = replace(cfg, periods_per_year=periods_per_year(ts))
    return cfg


@dataclass(frozen=True)
class SimOutput:
    equity: np.ndarray  # (n_bars, n_books)
    init: np.ndarray  # (n_books,) starting equity
    turnover: np.ndarray  # (n_books,) mean one-way turnover per bar
    exposure: np.ndarray  # (n_books,) mean gross exposure
    fills: np.ndarray  # (n_books,) number of fills
    fill_table: dict[str, np.ndarray] | None = None

    @property
    def returns(self) -> np.ndarray:
        """Book simple returns (n_bars, n_books); 0 after a bar whose equity is not positive."""
        out = np.empty_like(self.equity)
        _kernels.book_returns_nb(self.equity, self.init, out)
        return out

    def take_returns(self) -> np.ndarray:
        """:attr:`returns` computed over ``equity`` in place (no second (n_bars, n_books) array);
        ``equity`` holds the returns afterwards."""
        _kernels.book_returns_nb(self.equity, self.init, self.equity)
        return self.equity


def announce_kernels(cfg: BacktestConfig, extra: tuple[str, ...] = ()) -> None:
    """Say (through ``trade2026._jit.compile_notice``, once per process) that the engine's kernels
    for ``cfg``, and the ``_kernels`` functions named in ``extra``, compile now if not cached."""
    from trade2026._jit import compile_notice

    names = ["simulate_nb", "book_returns_nb", *extra]
    if cfg.sizing == "vol_target":
        names.append("hold_scale_nb")
    compile_notice([getattr(_kernels, n) for n in names], "backtest")


def _vol_scale(panel: Panel, cfg: BacktestConfig) -> np.ndarray:
    x = ffill(panel.close)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = x[1:] / x[:-1] - 1.0
    r = np.vstack([np.full((1, x.shape[1]), np.nan), r])
    w = cfg.vol_window
    out = np.full(x.shape, np.nan)
    valid = np.isfinite(r)
    rz = np.where(valid, r, 0.0)
    cs = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(rz, axis=0)])
    cs2 = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(rz * rz, axis=0)])
    cn = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(valid, axis=0)])
    if x.shape[0] >= w:
        n = cn[w:] - cn[:-w]
        s = cs[w:] - cs[:-w]
        s2 = cs2[w:] - cs2[:-w]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (s2 - s * s / n) / (n - 1)
            vol = np.sqrt(np.maximum(var, 0.0)) * math.sqrt(cfg.annual_periods)
            scale = np.where((n == w) & (vol > 0), np.minimum(cfg.target_vol / vol, cfg.max_leverage), np.nan)
        out[w - 1 :] = scale
    return out


def simulate(
    panel: Panel,
    targets: np.ndarray,
    cfg: BacktestConfig,
    *,
    cross_sectional: bool = False,
    record: bool = False,
) -> SimOutput:
    """Run the kernel for targets of shape (n_bars, n_symbols, n_sets); one book per set."""
    cfg = make_config(cfg, bars=panel)  # an unset periods_per_year (vol targeting, borrow) from the bars
    t, k, p = targets.shape
    if cfg.sizing == "vol_target":
        scale = _vol_scale(panel, cfg)
        targets = np.stack(
            [_kernels.hold_scale_nb(np.ascontiguousarray(targets[:, :, i]), scale) for i in range(p)], axis=2
        )
    if cfg.mode == "portfolio" and not cross_sectional:
        targets = targets / k
    tm = np.ascontiguousarray(targets.transpose(0, 2, 1).reshape(t, p * k))
    col_symbol = np.tile(np.arange(k, dtype=np.int64), p)
    if cfg.mode == "portfolio" or cross_sectional:
        group_start = np.arange(0, p * k + 1, k, dtype=np.int64)
        group_book = np.arange(p, dtype=np.int64)
        per_book = 1
    else:
        group_start = np.arange(0, p * k + 1, dtype=np.int64)
        group_book = np.repeat(np.arange(p, dtype=np.int64), k)
        per_book = k
    res = _kernels.simulate_nb(
        panel.open,
        panel.high,
        panel.low,
        panel.close,
        tm,
        col_symbol,
        group_start,
        group_book,
        p,
        float(cfg.init_cash),
        cfg.fill == "close",
        1 if cfg.sizing == "notional" else 0,
        float(cfg.notional),
        float(cfg.commission_bps),
        float(cfg.commission_per_share),
        float(cfg.commission_fixed),
        float(cfg.slippage_bps),
        float(cfg.slippage_range),
        float(cfg.borrow_bps) * 1e-4 / cfg.annual_periods,
        float(cfg.stop_loss),
        float(cfg.take_profit),
        float(cfg.trailing_stop),
        record,
    )
    equity, turnover, exposure, fills = res[:4]
    table = None
    if record:
        # The kernel records bar by bar; the fill log lists each book's fills together, in time order.
        group = np.searchsorted(group_start, res[5], side="right") - 1
        order = np.argsort(group, kind="stable")
        table = {k: v[order] for k, v in zip(("bar", "column", "qty", "price", "cost", "reason"), res[4:], strict=True)}
    denom = per_book * max(t, 1)
    return SimOutput(
        equity=equity,
        init=np.full(p, cfg.init_cash * per_book),
        turnover=turnover / denom,
        exposure=exposure / denom,
        fills=fills,
        fill_table=table,
    )


@dataclass(frozen=True)
class BacktestResult:
    """One backtest: ``returns`` (ts, return), ``equity`` (ts, equity), ``trades`` (round trips, the
    columns of ``TRADE_COLUMNS``: size, prices, P&L, return, MAE/MFE, duration, exit reason),
    ``fills`` (every fill) as polars frames, and ``metrics`` (snake_case, see ``returns_metrics``)."""

    returns: pl.DataFrame
    equity: pl.DataFrame
    trades: pl.DataFrame
    fills: pl.DataFrame
    metrics: dict[str, float]
    config: BacktestConfig
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "config": self.config.to_dict(), "params": self.params}


def _round_trips(fills: pl.DataFrame, last_close: dict[str, float], last_ts: Any) -> pl.DataFrame:
    """Pair fills into round trips per symbol: a trade ends when its position returns to zero or
    flips; a trade still open at the end is marked at the last close (exit_reason ``open``)."""
    rows: list[dict[str, Any]] = []

    def close_trade(sym: str, tr: dict[str, Any], exit_ts: Any, exit_price: float, reason: str) -> None:
        invested = tr["invested"]
        rows.append(
            {
                "symbol": sym,
                "entry_ts": tr["entry_ts"],
                "exit_ts": exit_ts,
                "side": int(tr["side"]),
                "pnl": tr["cash"],
                "return": tr["cash"] / invested if invested > 0 else 0.0,
                "exit_reason": reason,
                "size": tr["size"],
                "entry_price": invested / tr["opened"] if tr["opened"] > 0 else math.nan,
                "exit_price": exit_price,
            }
        )

    for (sym,), part in fills.group_by(["symbol"], maintain_order=True):
        pos = 0.0
        tr: dict[str, Any] = {}
        for r in part.iter_rows(named=True):
            q, px, fee = r["qty"], r["price"], r["cost"]
            remaining = q
            if pos != 0.0 and (pos + q) * pos <= 0.0:  # closes (and maybe flips)
                closing = -pos
                frac = abs(closing) / abs(q)
                tr["cash"] += -closing * px - fee * frac
                close_trade(sym, tr, r["ts"], px, REASONS.get(r["reason"], "signal"))
                pos, remaining, fee = 0.0, q - closing, fee * (1.0 - frac)
                if abs(remaining) <= 1e-12 * abs(q):
                    continue
            if pos == 0.0:
                tr = {"entry_ts": r["ts"], "side": math.copysign(1.0, remaining), "cash": 0.0, "invested": 0.0}
                tr.update(opened=0.0, size=0.0)
            tr["cash"] += -remaining * px - fee
            if abs(pos + remaining) > abs(pos):
                tr["invested"] += abs(remaining) * px
                tr["opened"] += abs(remaining)
            pos += remaining
            tr["size"] = max(tr["size"], abs(pos))
        if pos != 0.0:
            mark = last_close.get(sym, math.nan)
            tr["cash"] += pos * mark
            close_trade(sym, tr, last_ts, mark, "open")
    schema: dict[str, Any] = {
        "symbol": pl.String,
        "entry_ts": pl.Datetime("us", "UTC"),
        "exit_ts": pl.Datetime("us", "UTC"),
        "side": pl.Int8,
        "pnl": pl.Float64,
        "return": pl.Float64,
        "exit_reason": pl.String,
        "size": pl.Float64,
        "entry_price": pl.Float64,
        "exit_price": pl.Float64,
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    return (
        pl.DataFrame(rows)
        .with_columns(
            pl.col("side").cast(pl.Int8),
            pl.col("entry_ts").cast(pl.Datetime("us", "UTC")),
            pl.col("exit_ts").cast(pl.Datetime("us", "UTC")),
        )
        .select(list(schema))
    )


def _targets_from_frame(panel: Panel, positions: Any) -> np.ndarray:
    pos, _ = to_polars(positions)
    need = {"symbol", "ts", "position"}
    if not need <= set(pos.columns):
        msg = f"positions need columns symbol, ts, position; got {', '.join(pos.columns)}"
        raise DataError(msg)
    ts_index = pl.DataFrame({"ts": panel.ts, "_t": np.arange(panel.n_bars)})
    sym_index = pl.DataFrame({"symbol": panel.symbols, "_k": np.arange(panel.n_symbols)})
    pos = pos.with_columns(pl.col("ts").cast(panel.ts.dtype))
    j = pos.join(ts_index, on="ts").join(sym_index, on="symbol")
    out = np.zeros((panel.n_bars, panel.n_symbols))
    vals = j["position"].cast(pl.Float64).fill_null(0.0).to_numpy()
    out[j["_t"].to_numpy(), j["_k"].to_numpy()] = np.where(np.isfinite(vals), vals, 0.0)
    return out


def run_backtest(
    bars: Any,
    positions: Any = None,
    *,
    entries: Any = None,
    exits: Any = None,
    short_entries: Any = None,
    short_exits: Any = None,
    config: BacktestConfig | None = None,
    cross_sectional: bool = False,
    params: dict[str, Any] | None = None,
    **settings: Any,
) -> BacktestResult:
    """Backtest target positions, or entry/exit signals, on bars.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long bars: symbol, ts, open, high, low, close (volume optional).
    positions : DataFrame[symbol, ts, position] or ndarray of shape (n_bars, n_symbols)
        Target position decided on each bar's close (``strategy_positions`` output); missing rows
        count as flat. An array is aligned with the sorted timestamps and symbols of ``bars``.
    entries, exits, short_entries, short_exits : signal, optional
        Instead of ``positions``: boolean signals per (symbol, ts) (a DataFrame[symbol, ts, <bool>],
        an array of shape (n_bars, n_symbols), or a column of ``bars``), turned into unit targets by
        ``entry_exit_positions`` (exits before entries, an entry opens only when flat, the exit wins
        a same-side conflict, opposite entries on one bar cancel) and traded at t+1 as usual.
    config : BacktestConfig, optional
        Settings; keyword ``settings`` (``fill="close"``, ``commission_bps=5``, ``stop_loss=0.05``,
        ``mode="portfolio"``, ...) override it. See the module docstring for the conventions.
    cross_sectional : bool
        The positions are already portfolio weights (one book, not divided by the symbol count).

    Returns
    -------
    BacktestResult
        ``.returns`` (ts, return) of the whole book, ``.metrics``, ``.trades``, ``.fills``, ``.equity``.
    """
    signals = (entries, exits, short_entries, short_exits)
    has_signals = any(s is not None for s in signals)
    if positions is None and not has_signals:
        msg = "run_backtest needs target positions or entry/exit signals: pass positions, or entries=/exits="
        raise DataError(msg)
    if positions is not None and has_signals:
        msg = "pass either positions or entry/exit signals (entries=, exits=, ...) to run_backtest, not both"
        raise DataError(msg)
    panel = bars if isinstance(bars, Panel) else bars_panel(bars, extra_columns=signal_columns(*signals))
    cfg = make_config(config, bars=panel, **settings)
    announce_kernels(cfg, ("entry_exit_positions_nb",) if has_signals else ())
    if has_signals:
        target = entry_exit_targets(panel, *signals)
    elif isinstance(positions, np.ndarray):
        if positions.shape != (panel.n_bars, panel.n_symbols):
            msg = f"positions array must have shape {(panel.n_bars, panel.n_symbols)}, got {positions.shape}"
            raise DataError(msg)
        target = np.where(np.isfinite(positions), positions, 0.0).astype(np.float64)
    else:
        target = _targets_from_frame(panel, positions)
    return _result(panel, target, cfg, cross_sectional=cross_sectional, params=params or {})


def _result(
    panel: Panel, target: np.ndarray, cfg: BacktestConfig, *, cross_sectional: bool, params: dict[str, Any]
) -> BacktestResult:
    sim = simulate(panel, target[:, :, None], cfg, cross_sectional=cross_sectional, record=True)
    r = sim.returns[:, 0]
    eq = sim.equity[:, 0]
    ft = sim.fill_table or {}
    sym_arr = np.array(panel.symbols, dtype=object)
    fills = pl.DataFrame(
        {
            "ts": panel.ts.gather(ft["bar"]) if len(ft["bar"]) else panel.ts.clear(),
            "symbol": pl.Series(sym_arr[ft["column"] % max(panel.n_symbols, 1)].tolist(), dtype=pl.String),
            "qty": ft["qty"],
            "price": ft["price"],
            "cost": ft["cost"],
            "reason": pl.Series([REASONS[int(x)] for x in ft["reason"]], dtype=pl.String),
        }
    )
    closes = ffill(panel.close)[-1]
    last_close = {s: float(c) for s, c in zip(panel.symbols, closes, strict=True)}
    trades = trade_excursions(
        _round_trips(
            fills.with_columns(reason=pl.Series([int(x) for x in ft["reason"]], dtype=pl.Int64)),
            last_close,
            panel.ts[-1],
        ),
        panel,
        fill=cfg.fill,
    )
    metrics = returns_metrics(
        r,
        cfg.annual_periods,
        trade_pnls=trades["return"].to_numpy(),
        turnover=float(sim.turnover[0]),
        exposure=float(sim.exposure[0]),
    )
    metrics["fill_count"] = int(sim.fills[0])
    return BacktestResult(
        returns=pl.DataFrame({"ts": panel.ts, "return": r}),
        equity=pl.DataFrame({"ts": panel.ts, "equity": eq}),
        trades=trades,
        fills=fills,
        metrics=metrics,
        config=cfg,
        params=params,
    )
