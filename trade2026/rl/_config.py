"""The environment's settings: features, actions, reward, episode and the backtest engine's costs."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from trade2026.backtest import BacktestConfig, make_config
from trade2026.errors import ConfigError

ACTIONS = ("discrete", "continuous", "weights")
REWARDS = ("log_return", "dsr", "risk_penalised")
# Settings of the backtest engine that are strategy rules, not costs: the environment's agent decides
# its exposure itself, so stops and non-fraction sizing do not apply to it.
_NOT_ENV_SETTINGS = ("stop_loss", "take_profit", "trailing_stop")


@dataclass(frozen=True)
class EnvConfig:
    """Every setting of a :class:`TradingEnv` (and of the batched vector env over the same data).

    Parameters
    ----------
    features : tuple of str
        Feature names, each computed per symbol from data up to the bar's close:
        ``ret_N`` (log return scaled by its trailing EWMA volatility of span N), ``fracdiff_D_W``
        (fractional difference of log prices, d = D/100, W fixed weights), any indicator name of
        :mod:`trade2026.features.indicators` (``rsi_14``, ``mom_63``, ``bb_pctb_20_2``, ...), or a
        built feature set's column ``SET/COLUMN`` (``momentum/rsi_14``), a column of the bars frame
        that :func:`trade2026.rl.load_bars` joins point in time.
    window : int
        Bars of features in each observation.
    action : {"discrete", "continuous", "weights"}
        ``discrete``: one of ``positions`` per symbol (``Discrete`` for one symbol, ``MultiDiscrete``
        for many); ``continuous``: a target exposure in [-1, 1] per symbol; ``weights``: portfolio
        weights, a long-only simplex over the symbols and cash (``long_only``) or long/short with
        gross exposure at most ``gross``. With several symbols the discrete and continuous exposures
        are divided by the symbol count (equal capital per symbol).
    positions : tuple of float
        The discrete action's exposures (short, flat, long by default).
    long_only, gross : bool, float
        The ``weights`` action's constraint.
    reward : {"log_return", "dsr", "risk_penalised"}
        ``log_return``: log of the account's equity ratio over the bar, net of every cost (the sum
        over an episode is the log of its final equity ratio). ``dsr``: the differential Sharpe ratio
        of Moody and Saffell (2001) with adaptation rate ``eta``. ``risk_penalised``:
        ``log_return - risk_aversion * log_return**2``.
    reward_scale : float
        Multiplies the reward (the account is unchanged).
    ruin_floor : float
        The episode terminates when equity falls below this fraction of the starting cash (0: never).
    episode_length : int, optional
        Decisions per training episode (default 252); episodes start at a random bar drawn from
        ``reset``'s generator. None: one episode over all the data from the first bar with a full
        window. Evaluation runs explicit episodes (``reset(options={"start": ..., "end": ...})``).
    random_start : bool
        Draw the start bar at random (with ``episode_length``); False starts at the first bar.
    normalize, clip : bool, float
        Standardise each feature with statistics fitted on the training data only, clipped to
        [-clip, clip]; the fitted statistics travel with the model and are frozen for evaluation.
    backtest : BacktestConfig
        The engine's timing and costs (``fill``, ``commission_*``, ``slippage_*``, ``borrow_bps``,
        ``init_cash``, ``periods_per_year``), exactly as ``run_backtest`` applies them.
    """

    features: tuple[str, ...] = ("ret_20",)
    window: int = 16
    action: str = "discrete"
    positions: tuple[float, ...] = (-1.0, 0.0, 1.0)
    long_only: bool = True
    gross: float = 1.0
    reward: str = "log_return"
    eta: float = 0.01
    risk_aversion: float = 10.0
    reward_scale: float = 1.0
    ruin_floor: float = 0.2
    episode_length: int | None = 252
    random_start: bool = True
    normalize: bool = True
    clip: float = 5.0
    backtest: BacktestConfig = field(default_factory=BacktestConfig)

    def check(self) -> EnvConfig:
        if not self.features:
            msg = "features must name at least one feature (e.g. ret_20, rsi_14, fracdiff_40_64)"
            raise ConfigError(msg)
        if self.window < 1:
            msg = f"window must be >= 1 bar, got {self.window}"
            raise ConfigError(msg)
        if self.action not in ACTIONS:
            msg = f"action must be one of {', '.join(ACTIONS)}, got {self.action!r}"
            raise ConfigError(msg)
        if self.reward not in REWARDS:
            msg = f"reward must be one of {', '.join(REWARDS)}, got {self.reward!r}"
            raise ConfigError(msg)
        if self.action == "discrete" and (
            len(self.positions) < 2 or any(not math.isfinite(p) or abs(p) > 10 for p in self.positions)
        ):
            msg = f"positions needs at least two finite exposures in [-10, 10], got {self.positions}"
            raise ConfigError(msg)
        if not (math.isfinite(self.gross) and self.gross > 0):
            msg = f"gross must be > 0, got {self.gross}"
            raise ConfigError(msg)
        if not 0 < self.eta < 1:
            msg = f"eta (the differential Sharpe ratio's adaptation rate) must be in (0, 1), got {self.eta}"
            raise ConfigError(msg)
        if not (self.risk_aversion >= 0 and self.reward_scale > 0):
            msg = "risk_aversion must be >= 0 and reward_scale > 0"
            raise ConfigError(msg)
        if not 0 <= self.ruin_floor < 1:
            msg = f"ruin_floor is a fraction of the starting cash in [0, 1), got {self.ruin_floor}"
            raise ConfigError(msg)
        if self.episode_length is not None and self.episode_length < 2:
            msg = (
                f"episode_length must be >= 2 decisions (or None for whole-series episodes), got {self.episode_length}"
            )
            raise ConfigError(msg)
        if not self.clip > 0:
            msg = f"clip must be > 0, got {self.clip}"
            raise ConfigError(msg)
        bt = self.backtest.check()
        used = [n for n in _NOT_ENV_SETTINGS if getattr(bt, n) != 0]
        if used or bt.sizing != "fraction":
            what = ", ".join([*used, *([f"sizing={bt.sizing!r}"] if bt.sizing != "fraction" else [])])
            msg = (
                f"the RL environment takes the backtest engine's timing and costs, not its strategy rules ({what}): "
                "the agent sets its own exposure each bar; leave stops at 0 and sizing at 'fraction'"
            )
            raise ConfigError(msg)
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["features"] = list(self.features)
        d["positions"] = list(self.positions)
        return d

    def config_hash(self) -> str:
        """A short stable hash of every setting (logged with each run, so equal hashes mean equal envs;
        numbers hash by value, so ``5`` and ``5.0`` bps are the same setting)."""
        text = json.dumps(_canonical(self.to_dict()), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EnvConfig:
        d = dict(d)
        bt = d.pop("backtest", None) or {}
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            msg = f"unknown environment setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
            raise ConfigError(msg)
        for name in ("features", "positions"):
            if name in d:
                d[name] = tuple(d[name])
        return cls(**d, backtest=make_config(BacktestConfig(), **bt)).check()


def _canonical(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _canonical(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_canonical(v) for v in x]
    if isinstance(x, int) and not isinstance(x, bool):
        return float(x)
    return x


def make_env_config(config: EnvConfig | None = None, **kw: Any) -> EnvConfig:
    """A checked config from keyword settings; backtest settings (``commission_bps=5``, ...) go to ``backtest``.

    Unknown names are an error.
    """
    base = config or EnvConfig()
    env_fields = set(EnvConfig.__dataclass_fields__) - {"backtest"}
    bt_fields = set(BacktestConfig.__dataclass_fields__)
    env_kw = {k: v for k, v in kw.items() if k in env_fields}
    bt_kw = {k: v for k, v in kw.items() if k in bt_fields}
    unknown = set(kw) - env_fields - bt_fields - {"backtest"}
    if unknown:
        msg = (
            f"unknown setting(s) {', '.join(sorted(unknown))}; environment settings: {', '.join(sorted(env_fields))}; "
            f"backtest settings: {', '.join(sorted(bt_fields))}"
        )
        raise ConfigError(msg)
    for name in ("features", "positions"):
        if name in env_kw:
            env_kw[name] = tuple(env_kw[name])
    bt = kw.get("backtest", base.backtest)
    return replace(base, **env_kw, backtest=make_config(bt, **bt_kw)).check()
