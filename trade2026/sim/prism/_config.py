"""PRISM configuration: agent counts and parameters, the fundamental value process, the session.

A configuration comes from defaults, a TOML file and flags, in that order of precedence (lowest
first). The TOML layout mirrors :class:`PrismConfig`::

    seed = 7
    days = 5
    session_hours = 6.5
    [agents]            # counts per type
    mm = 4
    noise = 20
    [fundamental]
    sigma_daily = 0.015
    [mm]                # parameters of one agent type (see AgentParams)
    half_spread = 1.0

Unknown sections, fields or agent types raise :class:`~trade2026.errors.ConfigError` naming them.

Calibration of the defaults (checked by ``tests/sim/test_facts.py`` on a shorter run and by
``t26 sim prism --days 20``): the fundamental's volatility is a log-normal mixture driven by an
Ornstein-Uhlenbeck "activity" factor (half-life ~40 minutes, sd 0.8) that also scales every
agent's arrival rate; this gives heavy tails (excess kurtosis), volatility clustering that decays
slowly over tens of minutes, and a positive volume-volatility correlation. Value traders keep the
mid within a few basis points of the fundamental, market makers widen their spread with realised
volatility, and the momentum traders' thresholds are high enough that the lag-1 autocorrelation of
1-minute returns stays small (ABIDES' known weakness is a strongly positive one).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError

AGENT_TYPES = ("mm", "noise", "value", "momentum")
PROBABILITIES = ("p_market", "p_cancel", "p_aggressive")


@dataclass(frozen=True)
class AgentParams:
    """Parameters of one agent type. Only those that type reads matter (see ``_agents``).

    rate : wake-ups per second at average activity; latency : seconds from decision to exchange;
    size : median order size (shares); max_position : inventory limit (shares).
    """

    rate: float
    latency: float
    size: float
    max_position: float
    # market makers
    half_spread: float = 0.0
    vol_widen: float = 0.0
    skew: float = 0.0
    levels: int = 0
    gap: int = 1
    # noise traders
    p_market: float = 0.0
    offset: float = 0.0
    p_cancel: float = 0.0
    size_sigma: float = 0.0
    # value traders
    obs_noise: float = 0.0
    threshold: float = 0.0
    p_aggressive: float = 0.0
    # momentum traders
    lookback_min: float = 0.0
    lookback_max: float = 0.0


DEFAULT_PARAMS: dict[str, AgentParams] = {
    "mm": AgentParams(
        rate=0.5,
        latency=0.005,
        size=300,
        max_position=5000,
        half_spread=1.0,
        vol_widen=0.35,
        skew=0.5,
        levels=3,
        gap=1,
    ),
    "noise": AgentParams(
        rate=0.12,
        latency=0.05,
        size=100,
        max_position=3000,
        p_market=0.2,
        offset=4.0,
        p_cancel=0.3,
        size_sigma=0.8,
    ),
    "value": AgentParams(
        rate=0.25,
        latency=0.02,
        size=200,
        max_position=6000,
        obs_noise=5.0,
        threshold=3.0,
        p_aggressive=0.7,
    ),
    "momentum": AgentParams(
        rate=0.03,
        latency=0.02,
        size=200,
        max_position=2000,
        lookback_min=60,
        lookback_max=600,
        threshold=25.0,
    ),
}
KNOWN_PARAMS = {
    "mm": {"rate", "latency", "size", "max_position", "half_spread", "vol_widen", "skew", "levels", "gap"},
    "noise": {"rate", "latency", "size", "max_position", "p_market", "offset", "p_cancel", "size_sigma"},
    "value": {"rate", "latency", "size", "max_position", "obs_noise", "threshold", "p_aggressive"},
    "momentum": {"rate", "latency", "size", "max_position", "lookback_min", "lookback_max", "threshold"},
}


@dataclass(frozen=True)
class FundamentalParams:
    """The latent value: log-price with mean reversion, momentum, stochastic volatility, jumps.

    Per second, ``dx = -kappa (x - x0) dt + phi m + sigma_daily sqrt(a dt) z + J``, with ``dt`` in
    session-days, ``m`` an exponential average of past increments (half-life ``momentum_halflife_s``),
    ``a = exp(h) / E[exp(h)]`` the activity level (``h`` Ornstein-Uhlenbeck, half-life
    ``activity_halflife_s``, sd ``activity_sd``) and ``J`` normal jumps (sd ``jump_sd``) arriving
    ``jump_rate`` times per day. Agent wake-up rates are scaled by ``a ** activity_rate_power``.
    """

    sigma_daily: float = 0.015
    kappa: float = 0.5
    phi: float = 0.0
    momentum_halflife_s: float = 300.0
    activity_halflife_s: float = 2400.0
    activity_sd: float = 0.8
    activity_rate_power: float = 0.7
    jump_rate: float = 4.0
    jump_sd: float = 0.003


@dataclass(frozen=True)
class PrismConfig:
    """A PRISM market: population, session, fundamental and output options."""

    agents: dict[str, int] = field(default_factory=lambda: {"mm": 4, "noise": 20, "value": 10, "momentum": 6})
    params: dict[str, AgentParams] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    fundamental: FundamentalParams = field(default_factory=FundamentalParams)
    seed: int = 7
    days: int = 5
    session_hours: float = 6.5
    tick_size: float = 0.01
    initial_price: float = 100.0
    symbol: str = "PRISM"
    start: dt.date = dt.date(2024, 1, 2)
    open_time: dt.time = dt.time(14, 30)
    depth_levels: int = 5
    snapshot_s: int = 60

    @property
    def session_s(self) -> int:
        return round(self.session_hours * 3600)

    @property
    def n_agents(self) -> int:
        return sum(self.agents.values())

    def validate(self) -> PrismConfig:
        for name, n in self.agents.items():
            if name not in AGENT_TYPES:
                msg = f"unknown agent type {name!r}; use {', '.join(AGENT_TYPES)}"
                raise ConfigError(msg)
            if not isinstance(n, int) or n <= 0:
                msg = f"agents.{name} must be a positive integer (got {n!r}); leave the type out to have none"
                raise ConfigError(msg)
        if not self.agents:
            msg = "agents is empty; give at least one agent type, e.g. --agents mm=2,noise=10"
            raise ConfigError(msg)
        if not self.tick_size > 0:
            msg = f"tick_size must be > 0 (got {self.tick_size!r})"
            raise ConfigError(msg)
        checks = [
            ("seed", 0 <= self.seed < 2**63, "a whole number >= 0"),
            ("days", self.days > 0, "a positive number of days"),
            ("session_hours", self.session_s > 0 and self.session_hours <= 24, "in (0, 24]"),
            ("tick_size", self.tick_size > 0, "> 0"),
            (
                "initial_price",
                self.tick_size > 0 and 10 <= self.initial_price / self.tick_size <= 250_000,
                "between 10 and 250,000 ticks",
            ),
            ("depth_levels", self.depth_levels > 0, "> 0"),
            ("snapshot_s", self.snapshot_s > 0, "> 0 seconds"),
            ("fundamental.sigma_daily", self.fundamental.sigma_daily >= 0, ">= 0"),
            ("fundamental.activity_halflife_s", self.fundamental.activity_halflife_s > 0, "> 0"),
            ("fundamental.momentum_halflife_s", self.fundamental.momentum_halflife_s > 0, "> 0"),
            ("fundamental.jump_rate", self.fundamental.jump_rate >= 0, ">= 0"),
            ("fundamental.kappa", self.fundamental.kappa >= 0, ">= 0"),
            ("fundamental.activity_sd", self.fundamental.activity_sd >= 0, ">= 0"),
            ("fundamental.jump_sd", self.fundamental.jump_sd >= 0, ">= 0"),
        ]
        for name, ok, want in checks:
            if not ok:
                msg = f"{name} must be {want} (got {_get(self, name)!r})"
                raise ConfigError(msg)
        for kind, p in self.params.items():
            for fname in ("rate", "size"):
                if getattr(p, fname) <= 0:
                    msg = f"{kind}.{fname} must be > 0 (got {getattr(p, fname)!r})"
                    raise ConfigError(msg)
            if p.latency < 0:
                msg = f"{kind}.latency must be >= 0 seconds (got {p.latency!r})"
                raise ConfigError(msg)
            for fname in PROBABILITIES:
                v = getattr(p, fname)
                if not 0 <= v <= 1:
                    msg = f"{kind}.{fname} is a probability and must be in [0, 1] (got {v!r})"
                    raise ConfigError(msg)
            for f in fields(AgentParams):
                v = getattr(p, f.name)
                if not math.isfinite(v) or (f.name not in ("skew",) and v < 0):
                    msg = f"{kind}.{f.name} must be a finite number >= 0 (got {v!r})"
                    raise ConfigError(msg)
        mm = self.params["mm"]
        if not 1 <= mm.levels <= 4:
            msg = f"mm.levels must be between 1 and 4 (got {mm.levels!r})"
            raise ConfigError(msg)
        mo = self.params["momentum"]
        if not 1 <= mo.lookback_min <= mo.lookback_max:
            msg = "momentum.lookback_min must be >= 1 and <= momentum.lookback_max"
            raise ConfigError(msg)
        from trade2026.config import check_work

        check_work("prism_agents", self.n_agents, f"a PRISM run of {self.n_agents:,} agents")
        check_work("prism_events", self.events(), f"a PRISM run of {self.days:,} day(s) x {self.session_hours:g} h")
        return self

    def events(self) -> float:
        """Estimated agent wake-ups of one run: days x session seconds x sum(count x rate); the work
        (and, through the messages it sends, the memory) of a run grows with it."""
        per_second = sum(n * self.params[k].rate for k, n in self.agents.items() if k in self.params)
        return float(self.days) * self.session_s * per_second

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["open_time"] = self.open_time.isoformat()
        return d


def _get(cfg: PrismConfig, dotted: str) -> Any:
    obj: Any = cfg
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def parse_agents(text: str) -> dict[str, int]:
    """``"mm=4,noise=20"`` -> ``{"mm": 4, "noise": 20}``."""
    out: dict[str, int] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            msg = f"--agents item {item!r} is not TYPE=COUNT; e.g. --agents mm=4,noise=20,value=10,momentum=6"
            raise ConfigError(msg)
        if name not in AGENT_TYPES:
            msg = f"unknown agent type {name!r} in --agents; use {', '.join(AGENT_TYPES)}"
            raise ConfigError(msg)
        try:
            out[name] = int(value)
        except ValueError:
            msg = f"agents.{name} must be an integer (got {value!r})"
            raise ConfigError(msg) from None
    return out


def parse_duration_hours(text: str) -> float:
    """``"6.5h"``, ``"90m"``, ``"3600s"`` or a bare number of hours -> hours."""
    s = text.strip().lower()
    scale = {"h": 1.0, "m": 1 / 60, "s": 1 / 3600}
    try:
        if s and s[-1] in scale:
            return float(s[:-1]) * scale[s[-1]]
        return float(s)
    except ValueError:
        msg = f"session length {text!r} is not a duration; use e.g. 6.5h, 90m or 3600s"
        raise ConfigError(msg) from None


def _typed(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool) or default is None:
        return value
    if isinstance(default, int) and not isinstance(value, bool) and isinstance(value, int | float):
        if not math.isfinite(value) or float(value) != int(value):
            msg = f"{name} must be an integer (got {value!r})"
            raise ConfigError(msg)
        return int(value)
    if isinstance(default, float) and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            msg = f"{name} must be a finite number (got {value!r})"
            raise ConfigError(msg)
        return float(value)
    if isinstance(default, str) and isinstance(value, str):
        return value
    if isinstance(default, dt.date) and isinstance(value, dt.date | str):
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        except ValueError:
            pass
    msg = f"{name} has the wrong type (got {value!r}, want something like {default!r})"
    raise ConfigError(msg)


def config_from_mapping(data: dict[str, Any], base: PrismConfig | None = None) -> PrismConfig:
    """Overlay a TOML-shaped mapping on ``base`` (defaults when None); unknown names raise."""
    cfg = base or PrismConfig()
    top = {f.name for f in fields(PrismConfig)} - {"params", "fundamental", "agents", "open_time"}
    updates: dict[str, Any] = {}
    params = dict(cfg.params)
    for key, value in data.items():
        if key == "agents":
            if not isinstance(value, dict):
                msg = "[agents] must be a table of TYPE = COUNT"
                raise ConfigError(msg)
            for name in value:
                if name not in AGENT_TYPES:
                    msg = f"unknown agent type {name!r} in [agents]; use {', '.join(AGENT_TYPES)}"
                    raise ConfigError(msg)
            updates["agents"] = {k: _typed(f"agents.{k}", v, 0) for k, v in value.items()}
        elif key == "fundamental":
            if not isinstance(value, dict):
                msg = "[fundamental] must be a table of parameters"
                raise ConfigError(msg)
            known = {f.name: getattr(cfg.fundamental, f.name) for f in fields(FundamentalParams)}
            for name in value:
                if name not in known:
                    msg = f"unknown parameter fundamental.{name}; known: {', '.join(sorted(known))}"
                    raise ConfigError(msg)
            vals = {k: _typed(f"fundamental.{k}", v, known[k]) for k, v in value.items()}
            updates["fundamental"] = replace(cfg.fundamental, **vals)
        elif key in AGENT_TYPES:
            if not isinstance(value, dict):
                msg = f"[{key}] must be a table of parameters"
                raise ConfigError(msg)
            for name in value:
                if name not in KNOWN_PARAMS[key]:
                    msg = f"unknown parameter {key}.{name}; known: {', '.join(sorted(KNOWN_PARAMS[key]))}"
                    raise ConfigError(msg)
            cur = params[key]
            vals = {k: _typed(f"{key}.{k}", v, getattr(cur, k)) for k, v in value.items()}
            params[key] = replace(cur, **vals)
        elif key in top:
            updates[key] = _typed(key, value, getattr(cfg, key))
        else:
            msg = (
                f"unknown configuration field {key!r}; known: "
                f"{', '.join(sorted([*top, 'agents', 'fundamental', *AGENT_TYPES]))}"
            )
            raise ConfigError(msg)
    return replace(cfg, params=params, **updates)


def load_config(path: str | Path | None = None, **overrides: Any) -> PrismConfig:
    """Defaults, overlaid with a TOML file, overlaid with non-None ``overrides``; validated."""
    cfg = PrismConfig()
    if path is not None:
        p = Path(path)
        if not p.exists():
            msg = f"config file {p} does not exist"
            raise ConfigError(msg, option="path")
        if not p.is_file():
            msg = f"config file {p} is a directory; give a TOML file such as {p / 'prism.toml'}"
            raise ConfigError(msg, option="path")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            msg = f"{p} is not valid TOML ({exc})"
            raise ConfigError(msg, option="path") from None
        cfg = config_from_mapping(data, cfg)
    vals = {k: v for k, v in overrides.items() if v is not None}
    if vals:
        cfg = config_from_mapping(vals, cfg)
    if not math.isfinite(cfg.session_hours):
        msg = "session_hours must be finite"
        raise ConfigError(msg)
    return cfg.validate()
