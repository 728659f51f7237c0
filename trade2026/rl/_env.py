"""``TradingEnv``: a gymnasium environment over bars with the backtest engine's timing and costs.

At bar t the agent sees ``window`` bars of features computed from data up to t's close, its own
position weights and its cash share; its action sets target weights that fill on bar t+1 (see
:mod:`trade2026.rl._kernels` for the account). The episode is ``truncated`` at its last bar and
``terminated`` when the equity falls below ``ruin_floor`` of the starting cash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import polars as pl

from trade2026.backtest import BacktestConfig
from trade2026.core import Panel, bars_panel, to_polars
from trade2026.errors import DataError
from trade2026.rl import _kernels as K
from trade2026.rl._config import EnvConfig, make_env_config
from trade2026.rl._features import FeatureScaler, compute_features

_REWARD_CODES = {"log_return": K.REWARD_LOG, "dsr": K.REWARD_DSR, "risk_penalised": K.REWARD_RISK}


@dataclass(frozen=True, eq=False)
class MarketData:
    """Bars and scaled features an environment runs over, aligned on ``ts`` x ``symbols``.

    ``prices`` is float64 (4, n_bars, n_symbols): ``open``, ``high``, ``low``, ``close`` (NaN: no bar); ``features``
    the float32 (n_bars, n_symbols * n_features) observations after the frozen ``scaler``;
    ``first_start`` the first bar with a full window of defined features. The data end at the last
    bar: nothing after it exists here, so an environment built for a training fold cannot see the
    bars that follow it.
    """

    ts: pl.Series
    symbols: list[str]
    prices: np.ndarray = field(repr=False)
    raw_features: np.ndarray = field(repr=False)
    features: np.ndarray = field(repr=False)
    scaler: FeatureScaler = field(repr=False)
    warmup: int
    first_start: int
    config: EnvConfig

    @property
    def open(self) -> np.ndarray:
        return self.prices[0]

    @property
    def high(self) -> np.ndarray:
        return self.prices[1]

    @property
    def low(self) -> np.ndarray:
        return self.prices[2]

    @property
    def close(self) -> np.ndarray:
        return self.prices[3]

    @property
    def n_bars(self) -> int:
        return int(self.ts.len())

    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @property
    def last_bar(self) -> int:
        return self.n_bars - 1

    def panel(self) -> Panel:
        return Panel(
            self.ts, self.symbols, {"open": self.open, "high": self.high, "low": self.low, "close": self.close}
        )

    def bars(self, start: int = 0, stop: int | None = None) -> pl.DataFrame:
        """Long canonical bars of bars ``start:stop`` (for replaying positions through ``run_backtest``)."""
        p = self.panel().slice(start, self.n_bars if stop is None else stop)
        frames = [p.frame(p.values[c], c) for c in ("open", "high", "low", "close")]
        out = frames[0]
        for f in frames[1:]:
            out = out.join(f, on=["symbol", "ts"])
        return out.with_columns(volume=pl.lit(0.0)).sort("symbol", "ts")

    def bar_index(self, when: Any, *, before: bool = False) -> int:
        """Index of a bar: an int as is, a timestamp or date -> the first bar at or after it (the last
        bar at or before it with ``before``). A bar past the data end is a DataError."""
        if isinstance(when, int | np.integer):
            i = int(when)
        else:
            when = as_utc(when)
            i = int(self.ts.search_sorted(when, side="right" if before else "left")) - (1 if before else 0)
        if not 0 <= i <= self.last_bar:
            msg = f"bar {when!r} is outside the data (from {self.ts[0]} to {self.ts[-1]})"
            raise DataError(msg)
        return i

    def slice(self, start: int, stop: int, *, scaler: FeatureScaler | None = None) -> MarketData:
        """Bars ``start:stop`` as their own data (copies: nothing outside the slice is kept).

        Features were computed on the full history, from data up to each bar's close, so a slice's
        first bars already have them. ``scaler`` (frozen) standardises the slice; by default one is
        fitted on the slice itself (a training fold).
        """
        if not 0 <= start < stop <= self.n_bars:
            msg = f"bars {start}:{stop} are outside the data's {self.n_bars} bars"
            raise DataError(msg)
        first = max(self.config.window - 1, self.first_start - start)
        if first >= stop - start - 1:
            msg = f"bars {start}:{stop} leave no decision after the warm-up and the {self.config.window}-bar window"
            raise DataError(msg)
        raw = self.raw_features[start:stop].copy()
        if scaler is None:
            scaler = FeatureScaler.fit(raw[first:], clip=self.config.clip, normalize=self.config.normalize)
        return MarketData(
            self.ts[start:stop],
            self.symbols,
            self.prices[:, start:stop].copy(),
            raw,
            scaler.transform(raw),
            scaler,
            self.warmup,
            first,
            self.config,
        )


def market_data(
    bars: Any,
    config: EnvConfig | None = None,
    *,
    scaler: FeatureScaler | None = None,
    fit_stop: int | None = None,
    **settings: Any,
) -> MarketData:
    """Prepare bars for the environments: pivot, features, and the scaler.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Canonical long bars (symbol, ts, open, high, low, close[, volume]) of one or many symbols,
        daily or intraday (from the lake, a PRISM run, or a file).
    config : EnvConfig, optional
        Settings; keyword ``settings`` override it (see :func:`make_env_config`).
    scaler : FeatureScaler, optional
        A frozen scaler (the training fold's, for evaluation). When omitted, one is fitted on the
        bars from ``first_start`` to ``fit_stop`` (default: all of them: these bars are the
        training data).
    """
    from trade2026._jit import compile_notice

    cfg = make_env_config(config, **settings)
    compile_notice([K.vol_scaled_returns_nb, K.reset_nb, K.step_nb, K.map_action_nb], "the RL environments")
    df, _ = to_polars(bars, what="bars")
    cols: list[str] = [c for c in ("symbol", "ts", "open", "high", "low", "close", "volume") if c in df.columns]
    cols += [f for f in cfg.features if "/" in f and f in df.columns]  # feature-set columns (load_bars joins them)
    df = df.select(cols).sort("symbol", "ts")
    panel = bars_panel(df)
    if cfg.backtest.periods_per_year is None:  # infer it from the bars, as the backtest engine does
        from dataclasses import replace

        from trade2026.backtest import make_config

        cfg = replace(cfg, backtest=make_config(cfg.backtest, bars=panel))
    raw, warmup = compute_features(df, panel, cfg.features)
    first = warmup + cfg.window - 1
    if first >= panel.n_bars - 1:
        msg = (
            f"{panel.n_bars} bars leave no decision after the features' warm-up ({warmup} bars) and the "
            f"{cfg.window}-bar window; give more history, a shorter window or shorter look-backs"
        )
        raise DataError(msg)
    if scaler is None:
        stop = panel.n_bars if fit_stop is None else fit_stop
        scaler = FeatureScaler.fit(raw[first:stop], clip=cfg.clip, normalize=cfg.normalize)
    return MarketData(
        panel.ts,
        list(panel.symbols),
        np.ascontiguousarray(np.stack([panel.open, panel.high, panel.low, panel.close])),
        raw,
        scaler.transform(raw),
        scaler,
        warmup,
        first,
        cfg,
    )


def kernel_params(cfg: EnvConfig, n_symbols: int, *, record: bool = False) -> np.ndarray:
    """The kernels' parameter vector for a config (costs exactly as the backtest engine takes them);
    ``record``: the env keeps its history over the bars (one env)."""
    bt: BacktestConfig = cfg.backtest
    p = np.zeros(K.N_PARAMS + len(cfg.positions))
    p[K.P_WINDOW] = cfg.window
    p[K.P_RECORD] = 1.0 if record else 0.0
    p[K.P_N_POS] = len(cfg.positions)
    p[K.N_PARAMS :] = cfg.positions
    p[K.P_FILL_CLOSE] = 1.0 if bt.fill == "close" else 0.0
    p[K.P_C_RATE] = bt.commission_bps * 1e-4
    p[K.P_C_SHARE] = bt.commission_per_share
    p[K.P_C_FIXED] = bt.commission_fixed
    p[K.P_SLIP_BPS] = bt.slippage_bps
    p[K.P_SLIP_RANGE] = bt.slippage_range
    p[K.P_BORROW] = bt.borrow_bps * 1e-4 / bt.periods_per_year
    p[K.P_INIT] = bt.init_cash
    p[K.P_REWARD] = _REWARD_CODES[cfg.reward]
    p[K.P_ETA] = cfg.eta
    p[K.P_RISK] = cfg.risk_aversion
    p[K.P_FLOOR] = cfg.ruin_floor
    p[K.P_SCALE] = cfg.reward_scale
    if cfg.action == "discrete":
        p[K.P_ACTION] = K.ACTION_DISCRETE
    elif cfg.action == "continuous":
        p[K.P_ACTION] = K.ACTION_CONTINUOUS
    else:
        p[K.P_ACTION] = K.ACTION_SIMPLEX if cfg.long_only else K.ACTION_LONG_SHORT
    p[K.P_GROSS] = cfg.gross
    # Several symbols share the book equally under discrete/continuous exposures.
    p[K.P_INV_K] = 1.0 / n_symbols if cfg.action in ("discrete", "continuous") else 1.0
    return p


def spaces_for(data: MarketData) -> tuple[gym.spaces.Space, gym.spaces.Space]:
    """Observation and action spaces of an environment over ``data``: features within the scaler's
    clip, position weights and the cash share within the kernels' account bound."""
    cfg, n_symbols = data.config, data.n_symbols
    n_feat = cfg.window * data.features.shape[1]
    high = np.full(obs_dim_of(data), K.OBS_ACCOUNT_BOUND, dtype=np.float32)
    high[:n_feat] = data.scaler.clip
    obs = gym.spaces.Box(-high, high, dtype=np.float32)
    act: gym.spaces.Space
    if cfg.action == "discrete":
        n = len(cfg.positions)
        act = gym.spaces.Discrete(n) if n_symbols == 1 else gym.spaces.MultiDiscrete([n] * n_symbols)
    elif cfg.action == "continuous":
        act = gym.spaces.Box(-1.0, 1.0, shape=(n_symbols,), dtype=np.float32)
    else:
        width = n_symbols + 1 if cfg.long_only else n_symbols
        act = gym.spaces.Box(-1.0, 1.0, shape=(width,), dtype=np.float32)
    return obs, act


def obs_dim_of(data: MarketData) -> int:
    return data.config.window * data.features.shape[1] + data.n_symbols + 1


def draw_episode(rng: np.random.Generator, data: MarketData) -> tuple[int, int]:
    """First and last bar of a training episode, drawn from ``rng`` (the only source of randomness)."""
    cfg = data.config
    last = data.last_bar
    n = cfg.episode_length
    if n is None:
        return data.first_start, last
    hi = max(data.first_start, last - n)
    start = int(rng.integers(data.first_start, hi + 1)) if cfg.random_start else data.first_start
    return start, min(start + n, last)


def episode_bounds(data: MarketData, start: Any = None, end: Any = None) -> tuple[int, int]:
    """Bar indices of an explicit episode (``start`` and ``end`` inclusive, indices or timestamps); a bar
    past the data end is a DataError."""
    s = data.first_start if start is None else data.bar_index(start)
    e = data.last_bar if end is None else data.bar_index(end, before=True)
    if s < data.first_start:
        msg = (
            f"episode start bar {s} ({data.ts[s]}) is inside the features' warm-up; the first bar with a full "
            f"window is {data.first_start} ({data.ts[data.first_start]}): give more history before the start"
        )
        raise DataError(msg)
    if e <= s:
        msg = f"the episode from bar {s} to bar {e} has no decision to make; the end must come after the start"
        raise DataError(msg)
    return s, e


def as_utc(x: Any) -> Any:
    """A timestamp as an aware UTC datetime: ISO strings parsed, dates at midnight, naive times taken as UTC
    (anything else, e.g. a bar index, is returned as is)."""
    if isinstance(x, str):
        x = dt.datetime.fromisoformat(x)
    if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
        x = dt.datetime(x.year, x.month, x.day, tzinfo=dt.UTC)
    if isinstance(x, dt.datetime) and x.tzinfo is None:
        x = x.replace(tzinfo=dt.UTC)
    return x


class TradingEnv(gym.Env):
    """A trading environment with the backtest engine's timing and costs (gymnasium API).

    Parameters
    ----------
    bars : DataFrame, optional
        Canonical long bars of one or many symbols; or pass prepared ``data``.
    data : MarketData, optional
        Prepared bars and features (:func:`market_data`), shared by many environments.
    config : EnvConfig, optional
        Settings (keyword ``settings`` override them); ignored when ``data`` is given.
    scaler : FeatureScaler, optional
        A frozen scaler for the features (the training fold's); default: fitted on ``bars``.

    Notes
    -----
    ``reset(options={"start": ..., "end": ...})`` runs an explicit episode (bar indices or
    timestamps); otherwise the episode is drawn by :func:`draw_episode` from the generator seeded by
    ``reset(seed=...)``. Stepping past the episode's last bar raises :class:`DataError`. Each
    observation is a new float32 array of shape (window * n_symbols * n_features + n_symbols + 1,).
    :meth:`history` gives the episode's targets and equity, which ``run_backtest`` reproduces.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012

    def __init__(
        self,
        bars: Any = None,
        *,
        data: MarketData | None = None,
        config: EnvConfig | None = None,
        scaler: FeatureScaler | None = None,
        render_mode: str | None = None,
        **settings: Any,
    ) -> None:
        if data is None:
            if bars is None:
                msg = "TradingEnv needs bars (a long bars frame) or data (market_data(bars))"
                raise DataError(msg)
            data = market_data(bars, config, scaler=scaler, **settings)
        self.data = data
        self.config = data.config
        self.render_mode = render_mode
        k = data.n_symbols
        self._k = k
        self._obs_dim = obs_dim_of(data)
        self.observation_space, self.action_space = spaces_for(data)
        self._params = kernel_params(self.config, k, record=True)
        self._istate = np.zeros((1, K.N_ISTATE), dtype=np.int64)
        self._istate[0, K.I_NEXT_START] = -1  # no auto-reset: gymnasium's caller resets
        self._fstate = np.zeros((1, K.N_HEAD + K.N_BLOCKS * k))
        n_act = self.action_space.shape[0] if self.action_space.shape else 1
        self._act = np.zeros((1, max(n_act, 1)))
        self._hist = np.zeros((data.n_bars, k + 1))  # targets decided at each bar, equity at each close
        self._prices, self._feat, self._fs = data.prices, data.features, self._fstate[0]
        # Discrete actions of one symbol skip the conversion: one prepared action row per value.
        n_pos = len(self.config.positions)
        self._rows = {i: np.full((1, 1), float(i)) for i in range(n_pos)} if self.action_space.shape == () else {}
        self._t = self._end = 0

    # -- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        options = options or {}
        if "start" in options or "end" in options:
            start, end = episode_bounds(self.data, options.get("start"), options.get("end"))
        else:
            start, end = draw_episode(self.np_random, self.data)
        obs = np.empty(self._obs_dim, dtype=np.float32)
        d = self.data
        K.reset_nb(d.prices, d.features, self._params, self._istate, self._fstate, 0, start, end, obs)
        self._hist[:, :-1] = 0.0
        self._hist[:, -1] = np.nan
        self._hist[start, -1] = self._fstate[0, K.EQUITY]
        self._t, self._end = start, end
        return obs, {"equity": float(self._fstate[0, K.EQUITY]), "bar": start}

    def with_account(self, obs: np.ndarray, weights: Any, cash_share: float) -> np.ndarray:
        """``obs`` with its account part replaced by another book's: the position weights (one per
        symbol, market value / equity) and the cash share, clipped to the kernels' account bound as
        the environment does. A live loop asks the agent about its own book this way."""
        k = len(self.data.symbols)
        out = np.array(obs, dtype=np.float32, copy=True)
        acct = np.clip(
            np.r_[np.asarray(weights, dtype=np.float64), cash_share], -K.OBS_ACCOUNT_BOUND, K.OBS_ACCOUNT_BOUND
        )
        if acct.shape != (k + 1,):
            msg = f"weights must have one entry per symbol ({k}), got {acct.size - 1}"
            raise DataError(msg)
        out[-k - 1 :] = acct
        return out

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        t = self._t
        if t >= self._end:
            msg = (
                f"step past the episode's last bar {self._end} ({self.data.ts[self._end]}): no later bar; call reset()"
            )
            raise DataError(msg)
        try:
            act = self._rows[action]
        except (KeyError, TypeError):
            act = self._act
            act[0, :] = np.asarray(action, dtype=np.float64).reshape(-1)
        obs = np.empty(self._obs_dim, dtype=np.float32)
        K.step_nb(self._prices, self._feat, self._params, self._istate, self._fstate, act, obs, obs, self._hist)
        self._t = t = t + 1
        fs = self._fs
        flag = fs.item(K.FLAG)
        return obs, fs.item(K.REWARD), flag == 1.0, flag == 2.0, {"equity": fs.item(K.EQUITY), "bar": t}

    # -- inspection ----------------------------------------------------------------------------
    @property
    def bar(self) -> int:
        """The current bar (the observation's)."""
        return int(self._istate[0, 0])

    @property
    def equity(self) -> float:
        return float(self._fstate[0, K.EQUITY])

    def weights(self, action: Any) -> np.ndarray:
        """The target weights (n_symbols,) an action sets at the current bar (no step is taken)."""
        a = np.zeros((1, self._act.shape[1]))
        a[0, :] = np.asarray(action, dtype=np.float64).reshape(-1)
        out = np.zeros(self._k)
        K.map_action_nb(a[0], self._params, self.data.close[self.bar], out)
        return out

    def history(self) -> pl.DataFrame:
        """This episode so far: ts, equity at each close, and the target weight per symbol decided there.

        The targets replayed through ``run_backtest`` (``mode="portfolio"``, ``cross_sectional=True``,
        the same costs) on the episode's bars give this equity.
        """
        start, t = int(self._istate[0, K.I_START]), self.bar
        cols: dict[str, Any] = {"ts": self.data.ts[start : t + 1], "equity": self._hist[start : t + 1, -1]}
        for i, s in enumerate(self.data.symbols):
            cols[s] = self._hist[start : t + 1, i]
        return pl.DataFrame(cols)

    def targets(self) -> np.ndarray:
        """Target weights (n_bars, n_symbols) of this episode, aligned with the data's bars (0 elsewhere)."""
        out = np.zeros((self.data.n_bars, self._k))
        start, t = int(self._istate[0, K.I_START]), self.bar
        out[start:t] = self._hist[start:t, :-1]
        return out
