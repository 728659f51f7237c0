"""The strategy library: named strategies with parameters, a grid syntax, batched positions.

A strategy maps bars to a target position per symbol and bar, decided on bar t's close from data up
to bar t; the engine trades it at t+1. Per-symbol strategies give positions in {-1, 0, 1} (a unit
long or short); the cross-sectional ``xsmom`` gives portfolio weights (gross exposure 1).

Spec syntax: ``name:key=value,key=value`` (``sma_cross:fast=20,slow=50``); ``signal:COLUMN`` takes
the positions from a column of the bars (a signal or prediction joined onto them).
Grid syntax: ``key=start:stop:step`` (inclusive), ``key=a|b|c`` or ``key=value``, comma-separated:
``fast=5:50:5,slow=20:200:10`` is every combination with ``fast < slow``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.backtest import _kernels
from trade2026.core import Panel, bars_panel, ffill, to_polars
from trade2026.errors import ConfigError

Params = dict[str, Any]


@dataclass(frozen=True)
class Strategy:
    """A named strategy: defaults (which also fix each parameter's type), a validity check and a
    batch function ``fn(panel, [params, ...]) -> positions (n_bars, n_symbols, n_params)``;
    ``kernels`` names the ``_kernels`` functions ``fn`` calls (announced before a first compile)."""

    name: str
    defaults: Mapping[str, Any]
    fn: Callable[[Panel, Sequence[Params]], np.ndarray]
    help: str
    check: Callable[[Params], str | None] = field(default=lambda p: None)
    cross_sectional: bool = False
    max_lookback: Callable[[Params], int] = field(default=lambda p: 0)
    kernels: tuple[str, ...] = ()


def _sma_cache(close: np.ndarray) -> Callable[[int], np.ndarray]:
    """Simple moving averages of forward-filled closes, computed once per window."""
    x = ffill(close)
    valid = np.isfinite(x)
    cs = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(np.where(valid, x, 0.0), axis=0)])
    cnt = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(valid, axis=0)])
    cache: dict[int, np.ndarray] = {}

    def sma(w: int) -> np.ndarray:
        if w not in cache:
            t = x.shape[0]
            out = np.full(x.shape, np.nan)
            if w <= t:
                s = cs[w:] - cs[:-w]
                c = cnt[w:] - cnt[:-w]
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[w - 1 :] = np.where(c == w, s / w, np.nan)
            cache[w] = out
        return cache[w]

    return sma


def _tradable(panel: Panel, out: np.ndarray) -> np.ndarray:
    """No position on bars where the symbol has no price (before listing, after delisting)."""
    out[~np.isfinite(panel.close)] = 0.0
    return out


def _crosses(panel: Panel, params: Sequence[Params], average: Callable[[int], np.ndarray]) -> np.ndarray:
    """Long (+1) while ``average(fast) > average(slow)``, short (-1) below when ``short``, else flat;
    every parameter set at once from one stack of the distinct windows' averages."""
    windows = sorted({int(p[k]) for p in params for k in ("fast", "slow")})
    where = {w: j for j, w in enumerate(windows)}
    stack = np.stack([average(w) for w in windows], axis=2)  # (n_bars, n_symbols, n_windows)
    fast = stack[:, :, [where[int(p["fast"])] for p in params]]
    slow = stack[:, :, [where[int(p["slow"])] for p in params]]
    with np.errstate(invalid="ignore"):
        out = np.greater(fast, slow).astype(np.float64)
        short = np.array([bool(p["short"]) for p in params])
        if short.any():
            out[:, :, short] -= np.less(fast[:, :, short], slow[:, :, short])
    return _tradable(panel, out)


def _sma_cross(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    return _crosses(panel, params, _sma_cache(panel.close))


def _ema_cross(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    close = np.ascontiguousarray(panel.close)
    return _crosses(panel, params, lambda w: _kernels.ema_nb(close, int(w)))


def _lag_return(x: np.ndarray, lookback: int, skip: int = 0) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    n = lookback
    if n + 0 < x.shape[0] and n > skip:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[n:] = x[n - skip : x.shape[0] - skip] / x[: x.shape[0] - n] - 1.0
    return out


def _tsmom(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    x = ffill(panel.close)
    out = np.empty((panel.n_bars, panel.n_symbols, len(params)))
    for i, p in enumerate(params):
        r = _lag_return(x, int(p["lookback"]))
        with np.errstate(invalid="ignore"):
            pos = (r > 0).astype(np.float64)
            if p["short"]:
                pos -= (r < 0).astype(np.float64)
        out[:, :, i] = _tradable(panel, pos)
    return out


def _xsmom(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    x = ffill(panel.close)
    t, k = x.shape
    out = np.zeros((t, k, len(params)))
    live = np.isfinite(panel.close)
    for i, p in enumerate(params):
        score = _lag_return(x, int(p["lookback"]), int(p["skip"]))
        score[~live] = np.nan
        q = float(p["quantile"])
        every = int(p["rebalance"])
        w = np.zeros(k)
        for row in range(t):
            if row % every == 0:
                s = score[row]
                ok = np.isfinite(s)
                n_ok = int(ok.sum())
                w = np.zeros(k)
                n_side = math.floor(n_ok * q)
                if n_side >= 1:
                    idx = np.nonzero(ok)[0]
                    order = idx[np.argsort(s[idx], kind="stable")]
                    top = order[-n_side:]
                    bottom = order[:n_side]
                    if p["short"]:
                        w[top] = 0.5 / n_side
                        w[bottom] = -0.5 / n_side
                    else:
                        w[top] = 1.0 / n_side
            out[row, :, i] = np.where(live[row], w, 0.0)
    return out


def _mean_reversion(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    x = ffill(panel.close)
    sma = _sma_cache(panel.close)
    sq = _sma_cache(x * x)
    out = np.empty((panel.n_bars, panel.n_symbols, len(params)))
    for i, p in enumerate(params):
        w = int(p["window"])
        m = sma(w)
        var = (sq(w) - m * m) * w / max(w - 1, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(np.maximum(var, 0.0))
            z = np.where(sd > 1e-12 * np.abs(m), (x - m) / sd, np.nan)
        z[~np.isfinite(panel.close)] = np.nan
        pos = _kernels.zscore_positions_nb(z, float(p["entry"]), float(p["exit"]), bool(p["short"]))
        out[:, :, i] = pos
    return out


def _breakout(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    out = np.empty((panel.n_bars, panel.n_symbols, len(params)))
    h, lo, c = (np.ascontiguousarray(a) for a in (panel.high, panel.low, panel.close))
    for i, p in enumerate(params):
        out[:, :, i] = _kernels.breakout_positions_nb(
            h, lo, c, int(p["window"]), int(p["exit_window"]), bool(p["short"])
        )
    return out


def _signal(panel: Panel, params: Sequence[Params]) -> np.ndarray:
    out = np.empty((panel.n_bars, panel.n_symbols, len(params)))
    for i, p in enumerate(params):
        v = panel.column(p["column"]).copy()
        v[~np.isfinite(v)] = 0.0
        thr = float(p["threshold"])
        if thr > 0:
            v = np.where(np.abs(v) > thr, np.sign(v), 0.0)
        out[:, :, i] = _tradable(panel, v)
    return out


def _fast_slow(p: Params) -> str | None:
    if p["fast"] < 1 or p["slow"] < 1:
        return "fast and slow must be >= 1"
    if p["fast"] >= p["slow"]:
        return f"fast ({p['fast']}) must be smaller than slow ({p['slow']})"
    return None


def _positive(*names: str) -> Callable[[Params], str | None]:
    def check(p: Params) -> str | None:
        for n in names:
            if not p[n] > 0:
                return f"{n} must be > 0, got {p[n]}"
        return None

    return check


def _xsmom_check(p: Params) -> str | None:
    if p["lookback"] < 1 or p["rebalance"] < 1 or p["skip"] < 0 or p["skip"] >= p["lookback"]:
        return "need lookback >= 1, rebalance >= 1 and 0 <= skip < lookback"
    if not 0 < p["quantile"] <= 0.5:
        return f"quantile must be in (0, 0.5], got {p['quantile']}"
    return None


def _mr_check(p: Params) -> str | None:
    if p["window"] < 2:
        return f"window must be >= 2, got {p['window']}"
    if not 0 <= p["exit"] < p["entry"]:
        return f"need 0 <= exit < entry, got exit={p['exit']}, entry={p['entry']}"
    return None


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy(
            "sma_cross",
            {"fast": 20, "slow": 50, "short": 0},
            _sma_cross,
            "long while the fast SMA is above the slow SMA (short below when short=1)",
            _fast_slow,
            max_lookback=lambda p: int(p["slow"]),
        ),
        Strategy(
            "ema_cross",
            {"fast": 12, "slow": 26, "short": 0},
            _ema_cross,
            "long while the fast EMA is above the slow EMA (short below when short=1)",
            _fast_slow,
            max_lookback=lambda p: int(p["slow"]),
            kernels=("ema_nb",),
        ),
        Strategy(
            "tsmom",
            {"lookback": 252, "short": 1},
            _tsmom,
            "time-series momentum: the sign of the past lookback-bar return",
            _positive("lookback"),
            max_lookback=lambda p: int(p["lookback"]) + 1,
        ),
        Strategy(
            "xsmom",
            {"lookback": 126, "skip": 0, "quantile": 0.2, "rebalance": 21, "short": 1},
            _xsmom,
            "cross-sectional momentum: long the top, short the bottom quantile of the universe",
            _xsmom_check,
            cross_sectional=True,
            max_lookback=lambda p: int(p["lookback"]) + 1,
        ),
        Strategy(
            "mean_reversion",
            {"window": 20, "entry": 2.0, "exit": 0.5, "short": 1},
            _mean_reversion,
            "z-score / Bollinger mean reversion: fade moves beyond entry std, exit inside exit std",
            _mr_check,
            max_lookback=lambda p: int(p["window"]),
            kernels=("zscore_positions_nb",),
        ),
        Strategy(
            "breakout",
            {"window": 20, "exit_window": 10, "short": 1},
            _breakout,
            "Donchian breakout: enter on a close beyond the window's high/low, exit on the exit window",
            _positive("window", "exit_window"),
            max_lookback=lambda p: max(int(p["window"]), int(p["exit_window"])) + 1,
            kernels=("breakout_positions_nb",),
        ),
        Strategy(
            "signal",
            {"column": "signal", "threshold": 0.0},
            _signal,
            "signal:COLUMN - positions from a column of the bars (signal or prediction table)",
        ),
    )
}
ALIASES = {"zscore": "mean_reversion", "bollinger": "mean_reversion", "donchian": "breakout", "momentum": "tsmom"}


def get_strategy(name: str) -> Strategy:
    key = ALIASES.get(name, name)
    if key not in STRATEGIES:
        msg = f"unknown strategy {name!r}; choose one of {', '.join(sorted(STRATEGIES))}"
        raise ConfigError(msg)
    return STRATEGIES[key]


def _coerce(strategy: Strategy, key: str, raw: Any) -> Any:
    if key not in strategy.defaults:
        msg = (
            f"unknown parameter {key!r} for strategy {strategy.name}; its parameters are {', '.join(strategy.defaults)}"
        )
        raise ConfigError(msg)
    default = strategy.defaults[key]
    if isinstance(default, str):
        return str(raw)
    try:
        if isinstance(default, int) and not isinstance(default, bool):
            f = float(raw)
            if not f.is_integer():
                raise ValueError
            return int(f)
        return float(raw)
    except (TypeError, ValueError):
        kind = "an integer" if isinstance(default, int) else "a number"
        msg = f"parameter {key} of {strategy.name} must be {kind}, got {raw!r}"
        raise ConfigError(msg) from None


def _validate(strategy: Strategy, params: Params) -> Params:
    problem = strategy.check(params)
    if problem:
        msg = f"invalid parameters for {strategy.name}: {problem}"
        raise ConfigError(msg)
    return params


def parse_strategy(spec: str) -> tuple[str, Params]:
    """Parse ``"sma_cross:fast=20,slow=50"`` into ``("sma_cross", {"fast": 20, "slow": 50, "short": 0})``.

    Missing parameters take the strategy's defaults; ``"signal:COLUMN"`` gives
    ``("signal", {"column": "COLUMN", "threshold": 0.0})``.
    """
    spec = spec.strip()
    name, _, rest = spec.partition(":")
    strategy = get_strategy(name.strip())
    params: Params = dict(strategy.defaults)
    rest = rest.strip()
    if strategy.name == "signal" and rest and "=" not in rest.split(",")[0]:
        col, _, rest = rest.partition(",")
        params["column"] = col.strip()
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not value.strip():
            msg = f"bad parameter {item!r} in {spec!r}; write key=value, e.g. sma_cross:fast=20,slow=50"
            raise ConfigError(msg)
        params[key.strip()] = _coerce(strategy, key.strip(), value.strip())
    return strategy.name, _validate(strategy, params)


def _grid_values(strategy: Strategy, key: str, spec: str) -> list[Any]:
    spec = spec.strip()
    if "|" in spec:
        return [_coerce(strategy, key, v) for v in spec.split("|") if v.strip()]
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            msg = f"bad range {key}={spec}; write start:stop[:step], e.g. fast=5:50:5"
            raise ConfigError(msg)
        start, stop = (_coerce(strategy, key, v) for v in parts[:2])
        step = _coerce(strategy, key, parts[2]) if len(parts) == 3 else 1
        if isinstance(start, str) or not step > 0 or stop < start:
            msg = f"bad range {key}={spec}: need a numeric start <= stop and a step > 0"
            raise ConfigError(msg)
        n = math.floor((stop - start) / step + 1e-9) + 1
        if n > 100_000:
            msg = f"range {key}={spec} has {n} values; use a coarser step"
            raise ConfigError(msg)
        vals = [start + i * step for i in range(n)]
        return [round(v, 12) if isinstance(v, float) else v for v in vals]
    return [_coerce(strategy, key, spec)]


def parse_grid(strategy: str, grid: str | None, base: Params | None = None) -> list[Params]:
    """Every valid parameter combination of ``grid`` over ``base`` (the strategy's defaults).

    Combinations the strategy rejects (``fast >= slow``) are dropped; an empty result is an error.
    """
    strat = get_strategy(strategy)
    params = dict(strat.defaults if base is None else base)
    axes: dict[str, list[Any]] = {}
    for item in filter(None, (s.strip() for s in (grid or "").split(","))):
        key, eq, spec = item.partition("=")
        if not eq or not spec.strip():
            msg = f"bad grid item {item!r}; write key=start:stop:step, key=a|b|c or key=value"
            raise ConfigError(msg)
        key = key.strip()
        vals = _grid_values(strat, key, spec)
        axes[key] = list(dict.fromkeys(vals))
    from trade2026.config import check_work

    check_work("grid", math.prod(len(v) for v in axes.values()), f"the grid {grid!r}")  # before expanding it
    out: list[Params] = []
    keys = list(axes)
    for combo in itertools.product(*(axes[k] for k in keys)):
        p = dict(params)
        p.update(zip(keys, combo, strict=True))
        if strat.check(p) is None:
            out.append(p)
    if not out:
        problem = strat.check(dict(params)) or "no combination passes the strategy's checks"
        msg = f"the grid for {strat.name} has no valid combination: {problem}"
        raise ConfigError(msg)
    return out


def merge_params(strategy: Strategy, base: Params, params: Mapping[str, Any]) -> Params:
    """``base`` updated with ``params`` (each coerced to its default's type), then validated."""
    merged = dict(base)
    for k, v in params.items():
        merged[k] = _coerce(strategy, k, v)
    return _validate(strategy, merged)


def batch_positions(strategy: str, panel: Panel, params: Sequence[Params]) -> np.ndarray:
    """Positions of shape (n_bars, n_symbols, n_params) for every parameter set."""
    strat = get_strategy(strategy)
    return strat.fn(panel, list(params))


def strategy_positions(name: str, bars: Any, **params: Any) -> Any:
    """Target positions of strategy ``name`` for canonical long bars.

    Parameters
    ----------
    name : str
        A strategy name (``sma_cross``, ``ema_cross``, ``tsmom``, ``xsmom``, ``mean_reversion``,
        ``breakout``, ``signal``) or a full spec ``"sma_cross:fast=20,slow=50"``.
    bars : polars or pandas DataFrame
        Long bars: symbol, ts, open, high, low, close (and for ``signal`` the signal column).
    **params
        Strategy parameters; the rest take defaults.

    Returns
    -------
    DataFrame[symbol, ts, position]
        The target position decided on bar t's close (the engine trades it at t+1), of the same kind
        (polars or pandas) as ``bars``, one row per input bar.
    """
    sname, base = parse_strategy(name)
    merged = merge_params(get_strategy(sname), base, params)
    _, was_pandas = to_polars(bars)
    extra = (merged["column"],) if sname == "signal" else ()
    panel = bars_panel(bars, extra_columns=extra)
    pos = batch_positions(sname, panel, [merged])[:, :, 0]
    frame = panel.frame(pos, "position").sort("symbol", "ts")
    return frame.to_pandas() if was_pandas else frame


def describe_strategies() -> list[dict[str, Any]]:
    return [{"strategy": s.name, "params": dict(s.defaults), "help": s.help} for s in STRATEGIES.values()]


__all__ = [
    "STRATEGIES",
    "Strategy",
    "batch_positions",
    "describe_strategies",
    "get_strategy",
    "merge_params",
    "parse_grid",
    "parse_strategy",
    "strategy_positions",
]
