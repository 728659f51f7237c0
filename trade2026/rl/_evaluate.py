"""Out-of-sample evaluation: run a policy over bars it has not seen, and the baselines beside it.

The agent's targets go through ``run_backtest`` (portfolio mode, the targets as weights, the same
costs), so its metrics are the backtest engine's. The baselines run over the same bars with the
same costs: buy-and-hold (equal weights), a simple momentum strategy of ``trade2026.backtest``, and
the distribution of a random policy over many seeds (each seed one random policy, all stepped in
one batched environment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.backtest import BacktestResult, run_backtest, strategy_positions
from trade2026.core import metrics_columns, pivot
from trade2026.errors import DataError
from trade2026.rl._env import MarketData, TradingEnv, as_utc, market_data
from trade2026.rl._train import Agent

REPORT_METRICS = ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown")
BACKTEST_EXTRA = ("turnover", "exposure", "fill_count")
PERCENTILES = (5, 25, 50, 75, 95)
DEFAULT_MOMENTUM = "tsmom:lookback=126,short=0"


def pick(metrics: dict[str, Any], extra: tuple[str, ...] = BACKTEST_EXTRA) -> dict[str, Any]:
    """The reported subset of a metrics dict (snake_case names as everywhere in Trade2026)."""
    return {k: metrics.get(k) for k in (*REPORT_METRICS, *extra) if k in metrics}


def rollout(agent: Agent, data: MarketData, start: int, end: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The agent's deterministic targets over an explicit episode of ``data`` (bars ``start..end``).

    Returns the targets (n_bars, n_symbols) decided at bars ``start..end-1`` (0 elsewhere) and
    ``{"equity": final equity, "terminated": bool, "bars": decisions}`` of the environment's account.
    """
    env = TradingEnv(data=data)
    obs, _ = env.reset(options={"start": start, "end": end})
    terminated = False
    n = 0
    while True:
        obs, _, terminated, truncated, _ = env.step(agent.act(obs))
        n += 1
        if terminated or truncated:
            break
    return env.targets(), {"equity": env.equity, "terminated": bool(terminated), "bars": n}


def backtest_targets(data: MarketData, targets: np.ndarray, start: int, end: int) -> BacktestResult:
    """Replay target weights (n_bars, n_symbols) over bars ``start..end`` through ``run_backtest``.

    A symbol with no bar in the window (delisted before it) has nothing to trade: its column is
    dropped with its bars, so the targets line up with the symbols the backtest sees."""
    bars = data.bars(start, end + 1)
    present = set(bars["symbol"].unique().to_list())
    keep = [i for i, s in enumerate(data.symbols) if s in present]
    return run_backtest(
        bars,
        np.ascontiguousarray(targets[start : end + 1][:, keep]),
        config=data.config.backtest,
        mode="portfolio",
        cross_sectional=True,
    )


def random_policy_returns(data: MarketData, start: int, end: int, *, n_policies: int, seed: int) -> np.ndarray:
    """Simple returns (end - start + 1, n_policies) of random policies over bars ``start..end``.

    Policy i draws its actions uniformly from the action space with ``default_rng([seed, i])``;
    all of them step in one :class:`TradingVecEnv`. A ruined policy stays flat afterwards. The
    first row is 0 (the decision bar), as in ``run_backtest``'s returns.
    """
    from trade2026.rl._vecenv import TradingVecEnv

    venv = TradingVecEnv(data, n_policies)
    venv.set_options({"start": start, "end": end})
    venv.reset()
    space = venv.action_space
    rngs = [np.random.default_rng([seed, i]) for i in range(n_policies)]
    n_steps = end - start
    eq = np.empty((n_steps + 1, n_policies))
    eq[0] = data.config.backtest.init_cash
    done = np.zeros(n_policies, dtype=bool)
    for j in range(n_steps):
        if space.shape:
            shape = space.shape
            if hasattr(space, "nvec"):
                acts = np.stack([r.integers(0, space.nvec) for r in rngs])
            else:
                acts = np.stack([r.uniform(-1.0, 1.0, size=shape) for r in rngs])
        else:
            acts = np.array([r.integers(0, int(space.n)) for r in rngs])  # type: ignore[attr-defined]
        _, _, dones, _ = venv.step(acts)
        eq[j + 1] = np.where(done, eq[j], venv.last_equity)
        done |= dones
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(eq[:-1] > 0, eq[1:] / eq[:-1] - 1.0, 0.0)
    return np.vstack([np.zeros((1, n_policies)), r])


def momentum_targets(data: MarketData, spec: str, end: int) -> np.ndarray:
    """Weights (n_bars, n_symbols) of a ``trade2026.backtest`` strategy over the data's history up to
    bar ``end``, equal capital per symbol (the engine's portfolio mode)."""
    pos = strategy_positions(spec, data.bars(0, end + 1))
    p = pivot(pos, ["position"], what="momentum positions")
    out = np.zeros((data.n_bars, data.n_symbols))
    rows = np.searchsorted(data.ts.to_numpy(), p.ts.to_numpy())
    col = {s: i for i, s in enumerate(p.symbols)}
    for j, s in enumerate(data.symbols):
        if s in col:
            out[rows, j] = np.nan_to_num(p.values["position"][:, col[s]])
    return out / data.n_symbols


def _dist(x: np.ndarray) -> dict[str, float]:
    x = x[np.isfinite(x)]
    if not len(x):
        return {f"p{q}": float("nan") for q in PERCENTILES} | {"mean": float("nan")}
    return {f"p{q}": float(np.percentile(x, q)) for q in PERCENTILES} | {"mean": float(np.mean(x))}


@dataclass(frozen=True)
class Baselines:
    """Buy-and-hold, momentum and random-policy results over one window, with the same costs."""

    buy_and_hold: BacktestResult = field(repr=False)
    momentum: BacktestResult = field(repr=False)
    momentum_spec: str
    random_returns: np.ndarray = field(repr=False)  # (n_bars, n_policies)
    periods_per_year: float

    def random_metrics(self) -> dict[str, np.ndarray]:
        return metrics_columns(self.random_returns, self.periods_per_year)

    def to_dict(self, agent_sharpe: float | None = None) -> dict[str, Any]:
        m = self.random_metrics()
        rnd: dict[str, Any] = {
            "policies": int(self.random_returns.shape[1]),
            "sharpe": _dist(m["sharpe"]),
            "total_return": _dist(m["total_return"]),
            "max_drawdown": _dist(m["max_drawdown"]),
        }
        if agent_sharpe is not None and np.isfinite(agent_sharpe):
            s = m["sharpe"][np.isfinite(m["sharpe"])]
            rnd["agent_sharpe_percentile"] = float(100.0 * np.mean(s < agent_sharpe)) if len(s) else None
        return {
            "buy_and_hold": pick(self.buy_and_hold.metrics),
            "momentum": {"strategy": self.momentum_spec, **pick(self.momentum.metrics)},
            "random": rnd,
        }


def baselines(
    data: MarketData, start: int, end: int, *, n_random: int = 100, seed: int = 0, momentum: str = DEFAULT_MOMENTUM
) -> Baselines:
    """The baselines over bars ``start..end`` of ``data`` (its history before ``start`` feeds momentum)."""
    k = data.n_symbols
    bh = np.zeros((data.n_bars, k))
    bh[start:] = 1.0 / k
    return Baselines(
        buy_and_hold=backtest_targets(data, bh, start, end),
        momentum=backtest_targets(data, momentum_targets(data, momentum, end), start, end),
        momentum_spec=momentum,
        random_returns=random_policy_returns(data, start, end, n_policies=n_random, seed=seed),
        periods_per_year=data.config.backtest.periods_per_year,
    )


@dataclass(frozen=True)
class EvalResult:
    """An agent over one window: the backtest of its targets, and the baselines beside it."""

    agent_info: dict[str, Any]
    start: dt.datetime
    end: dt.datetime
    in_sample: bool
    result: BacktestResult = field(repr=False)
    targets: pl.DataFrame = field(repr=False)
    baselines: Baselines = field(repr=False)
    env: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, Any]:
        return pick(self.result.metrics)

    def equity_frame(self) -> pl.DataFrame:
        """ts, agent, buy_and_hold, momentum and the random policies' median equity (per unit of start)."""
        ts = self.result.equity["ts"]
        init = self.result.config.init_cash
        rnd = np.cumprod(1.0 + self.baselines.random_returns, axis=0)
        return pl.DataFrame(
            {
                "ts": ts,
                "agent": self.result.equity["equity"].to_numpy() / init,
                "buy_and_hold": self.baselines.buy_and_hold.equity["equity"].to_numpy() / init,
                "momentum": self.baselines.momentum.equity["equity"].to_numpy() / init,
                "random_p5": np.percentile(rnd, 5, axis=1),
                "random_p50": np.percentile(rnd, 50, axis=1),
                "random_p95": np.percentile(rnd, 95, axis=1),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.agent_info,
            "start": self.start,
            "end": self.end,
            "n_bars": self.result.returns.height,
            "in_sample": self.in_sample,
            "metrics": self.metrics,
            "baselines": self.baselines.to_dict(self.result.metrics.get("sharpe")),
            "env": self.env,
        }


def evaluate(
    agent: Agent,
    bars: Any,
    *,
    start: Any,
    end: Any = None,
    in_sample: bool = False,
    n_random: int = 100,
    seed: int = 0,
    momentum: str = DEFAULT_MOMENTUM,
) -> EvalResult:
    """Run ``agent`` over ``bars`` from ``start`` (its first decision) to ``end``, against the baselines.

    Parameters
    ----------
    agent : Agent
        A trained agent (:func:`train`, :func:`load_agent`); its frozen scaler standardises the features.
    bars : DataFrame
        Long bars of the agent's symbols (other symbols are ignored), with enough history before
        ``start`` for the features' warm-up and window.
    start, end : datetime, date or bar index
        The window; ``end`` defaults to the last bar.
    in_sample : bool
        Allow a window that starts on or before the agent's training end (the result says so).
        Without it such a window is a DataError: the number would not be out of sample.
    n_random, seed, momentum
        The baselines: random policies (seeds ``[seed, i]``) and the momentum strategy spec.
    """
    df = _bars_of(bars, agent.symbols)
    full = market_data(df, agent.config, scaler=agent.scaler)
    s = full.bar_index(start)
    e = full.last_bar if end is None else full.bar_index(end, before=True)
    if s < full.first_start:
        msg = (
            f"start {full.ts[s]} leaves too little history for the features ({full.first_start} bars of warm-up and "
            f"window are needed; the first possible start is {full.ts[full.first_start]})"
        )
        raise DataError(msg)
    if e <= s:
        msg = f"the window {full.ts[s]} to {full.ts[e]} has no bar after its first decision"
        raise DataError(msg)
    train_end = agent.meta.get("train_end")
    overlaps = train_end is not None and full.ts[s] <= as_utc(train_end)
    if overlaps and not in_sample:
        msg = (
            f"the window starts {full.ts[s]}, on or before the agent's training end {train_end}: that is not out of "
            "sample; start after it, or pass in_sample=True to evaluate in sample (the result is marked)"
        )
        raise DataError(msg)
    data = full.slice(0, e + 1, scaler=agent.scaler)
    targets, env_info = rollout(agent, data, s, e)
    res = backtest_targets(data, targets, s, e)
    base = baselines(data, s, e, n_random=n_random, seed=seed, momentum=momentum)
    tframe = pl.DataFrame(
        {"ts": data.ts[s : e + 1], **{sym: targets[s : e + 1, i] for i, sym in enumerate(data.symbols)}}
    )
    info = {"algo": agent.algo, "symbols": list(agent.symbols), "config_hash": agent.config.config_hash()}
    if "registered" in agent.meta:
        info["model"] = agent.meta["registered"]
    return EvalResult(info, data.ts[s], data.ts[e], bool(overlaps), res, tframe, base, env_info)


def _bars_of(bars: Any, symbols: list[str]) -> pl.DataFrame:
    """The agent's symbols' rows of ``bars`` (pandas or polars); each of them must be there."""
    from trade2026.core import to_polars

    df, _ = to_polars(bars, what="bars")
    have = set(df["symbol"].unique().to_list())
    missing = [s for s in symbols if s not in have]
    if missing:
        msg = f"the bars have no rows of the agent's symbol(s) {', '.join(missing)} (trained on {', '.join(symbols)})"
        raise DataError(msg)
    return df.filter(pl.col("symbol").is_in(symbols))


def plot_evaluation(equity: pl.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """A PNG of the agent's equity against the baselines (the random policies' 5-95% band shaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = equity["ts"].to_numpy()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.fill_between(ts, equity["random_p5"], equity["random_p95"], color="0.85", label="random policies 5-95%")
    ax.plot(ts, equity["random_p50"], color="0.55", lw=1, label="random median")
    ax.plot(ts, equity["buy_and_hold"], color="tab:blue", lw=1.2, label="buy and hold")
    ax.plot(ts, equity["momentum"], color="tab:green", lw=1.2, label="momentum")
    ax.plot(ts, equity["agent"], color="tab:red", lw=1.8, label="agent")
    ax.set_ylabel("equity (start = 1)")
    ax.set_title(title or "out-of-sample equity, net of costs")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
