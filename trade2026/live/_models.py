"""Strategies from the MLflow model registry: ``model:NAME[@alias|/version]`` (meta-label or RL models).

:func:`load_model_strategy` resolves the name in the registry (``t26 metalabel`` and ``t26 rl train``
register theirs) and loads the model once. The live loop then asks :meth:`ModelStrategy.weights`
for the target weights at each bar's close, passing only the bars it has (up to and including that
bar: the model never sees a later one), so the same code trades a lake replay and a streaming venue.

- A meta-label model bets on its primary strategy's side with the size its probability gives
  (``signal = side * size``, the column ``t26 models predict`` writes); like ``signal:COLUMN``, each
  symbol's signal is its position and the book gives each symbol ``1 / n_symbols`` of the equity.
- An RL agent acts on the observation its environment would give it: the window of features of the
  bars so far (its frozen scaler) and the account, taken from the live book (position weights at
  the close, cash share). Its targets are portfolio weights (``cross_sectional``), as
  ``t26 rl eval`` backtests them.

On a streaming venue the bars are built from quotes, with no volume: a meta-label model whose
features read volume (``meta_features``' ``volume_z``) finds them missing there and does not bet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from trade2026.errors import ConfigError, DataError, NotFoundError

PREFIX = "model:"


def is_model_spec(strategy: str) -> bool:
    return strategy.startswith(PREFIX)


@dataclass
class ModelStrategy:
    """A registered model that trades: its version row, kind, and what it needs at each bar.

    Attributes
    ----------
    ref : str
        The reference it was loaded by (``NAME@alias``, ``NAME/3``, ``NAME``).
    kind : {"metalabel", "rl"}
    version : dict
        The registry's row of the version (name, version, run_id, aliases, tags).
    cross_sectional : bool
        True when :meth:`weights` gives portfolio weights (RL); False when it gives per-symbol
        positions that the book divides by the number of symbols (meta-label signals).
    symbols : list of str or None
        The symbols the model must see (an RL agent's), None when it trades any.
    model : object
        What :meth:`weights` runs: the RL :class:`~trade2026.rl.Agent`, or the meta-label model
        with its feature rows.
    """

    ref: str
    kind: str
    version: dict[str, Any]
    cross_sectional: bool
    symbols: list[str] | None
    model: Any = field(repr=False)

    def weights(self, history: Any, account: dict[str, float] | None = None) -> dict[str, float]:
        """Target weights at the last bar of ``history`` (long bars up to now, every symbol traded).

        ``account`` is the live book at that close: ``{symbol: position weight}`` and ``"_cash"``
        (cash / equity); the RL agent's observation includes it. Missing or non-finite signals are 0.
        """
        if self.kind == "rl":
            return _rl_weights(self.model, history, account or {})
        return _meta_weights(self.model, history)

    def to_dict(self) -> dict[str, Any]:
        v = self.version
        return {"ref": self.ref, "kind": self.kind, "name": v["name"], "version": v["version"], "run_id": v["run_id"]}


def load_model_strategy(strategy: str, *, lake: Any = None, settings: Any = None) -> ModelStrategy:
    """Load ``model:NAME[@alias|/version]`` from the registry.

    Raises
    ------
    NotFoundError
        No such model, version or alias (the message lists the registered names).
    DataError
        The version is neither a meta-label model nor an RL agent.
    """
    from trade2026 import tracking

    ref = strategy[len(PREFIX) :] if is_model_spec(strategy) else strategy
    if not ref or ref.startswith(("@", "/")):
        msg = f"strategy {strategy!r} names no model; write model:NAME, model:NAME@ALIAS or model:NAME/VERSION"
        raise ConfigError(msg, option="strategy")
    try:
        row = tracking.get_model_version(ref, settings)
    except NotFoundError:
        names = sorted({r["name"] for r in tracking.list_models(settings)})
        msg = (
            f"no registered model version {ref!r} (registered models: {', '.join(names) or 'none'}); "
            "`t26 models ls` lists every version and alias"
        )
        raise NotFoundError(msg) from None
    tags = row["tags"]
    if tags.get("t26.kind") == "metalabel":
        return _load_meta(ref, row, lake, settings)
    if "algo" in tags or tags.get("t26.kind") == "rl":
        from trade2026.rl import load_agent

        agent = load_agent(f"{row['name']}/{row['version']}", settings=settings)
        return ModelStrategy(ref, "rl", row, True, list(agent.symbols), agent)
    msg = f"registered model {ref!r} is neither a meta-label model nor an RL agent; `t26 models ls` shows each kind"
    raise DataError(msg)


# -- meta-label models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    mm: Any
    features: Any  # the feature set's rows (symbol, ts, ...) or None: meta_features of the bars


def _load_meta(ref: str, row: dict[str, Any], lake: Any, settings: Any) -> ModelStrategy:
    from trade2026.backtest import parse_strategy
    from trade2026.labeling import load_metalabel_model

    mm = load_metalabel_model(f"{row['name']}/{row['version']}", settings)
    if parse_strategy(mm.primary)[0] == "signal":
        msg = f"model {ref!r} bets on {mm.primary}, a signal column the live bars do not have; use a rule primary"
        raise ConfigError(msg, option="strategy")
    feats = None
    fs_name = mm.lineage.get("feature_set")
    if fs_name:
        from trade2026.features import read_features

        if lake is None:
            msg = f"model {ref!r} reads feature set {fs_name!r} from the lake: pass lake"
            raise ConfigError(msg, option="lake")
        feats, fs, _ = read_features(lake, fs_name)
        if fs.hash != mm.lineage.get("feature_hash"):
            msg = (
                f"feature set {fs_name!r} changed since model {ref!r} was trained (hash {fs.hash}, the model's "
                f"{mm.lineage.get('feature_hash')}); retrain the model or restore the set's definition"
            )
            raise DataError(msg)
    return ModelStrategy(ref, "metalabel", row, False, None, _Meta(mm, feats))


def _meta_weights(m: _Meta, history: Any) -> dict[str, float]:
    """Each symbol's ``side * size`` at its last bar: :func:`trade2026.labeling.predict_frame` there,
    the rule ``t26 models predict`` applies to every bar (0 where the primary is flat or a feature
    is missing)."""
    import polars as pl

    from trade2026.labeling import predict_frame

    out: dict[str, float] = {}
    for (sym,), frame in history.sort("symbol", "ts").group_by(["symbol"], maintain_order=True):
        feats = None if m.features is None else m.features.filter(pl.col("symbol") == sym)
        signal = predict_frame(m.mm, frame, feats, last=True)["signal"][0]
        out[str(sym)] = float(signal) if signal is not None and math.isfinite(signal) else 0.0
    return out


# -- RL agents ------------------------------------------------------------------------------------


def _rl_weights(agent: Any, history: Any, account: dict[str, float]) -> dict[str, float]:
    """The agent's target weights at the last bar of ``history``: its observation there is the
    features' window of the bars so far (the agent's frozen scaler) and the live account."""
    import polars as pl

    from trade2026.rl import TradingEnv, market_data

    flat = dict.fromkeys(agent.symbols, 0.0)
    df = history.filter(pl.col("symbol").is_in(agent.symbols)).sort("symbol", "ts")
    missing = sorted(set(agent.symbols) - set(df["symbol"].unique().to_list()))
    if missing:
        msg = f"the bars have no rows of the agent's symbol(s) {', '.join(missing)}; trade its symbols"
        raise DataError(msg)
    # The environment needs a bar after a decision to exist: a copy of the last one, one bar later,
    # that nothing reads (the observation at bar t is the features up to t and the account).
    last_ts = df["ts"].max()
    ts = df["ts"].unique().sort()
    step = ts[-1] - ts[-2] if len(ts) > 1 else None
    if step is None:
        return flat
    ghost = df.filter(pl.col("ts") == last_ts).with_columns(pl.col("ts") + step)
    try:
        data = market_data(pl.concat([df, ghost]), agent.config, scaler=agent.scaler)
    except DataError:  # too few bars yet for the features' warm-up and window
        return flat
    t = data.n_bars - 2
    if t < data.first_start:
        return flat
    env = TradingEnv(data=data)
    obs, _ = env.reset(options={"start": t, "end": t + 1})
    obs = env.with_account(obs, [account.get(sym, 0.0) for sym in data.symbols], account.get("_cash", 1.0))
    w = env.weights(agent.act(obs))
    return {sym: float(w[i]) for i, sym in enumerate(data.symbols)}


__all__ = ["ModelStrategy", "is_model_spec", "load_model_strategy"]
