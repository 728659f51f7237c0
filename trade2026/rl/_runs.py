"""The workflows behind ``t26 rl``: bars from the lake, a tracked training, a tracked walk-forward,
an evaluation by model name, and the list of registered RL models.

Every training is an MLflow run (``rl-train``): parameters, the environment config and its hash,
the lake table versions, the seed, the learning curve (metrics with steps), out-of-sample metrics
with the baselines', and the saved agent as the artifact ``agent/``, registered in MLflow's model
registry under a name (tag ``t26.kind=rl``) so that other commands load it by name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from trade2026.errors import ConfigError, DataError, InputError
from trade2026.rl._config import EnvConfig, make_env_config
from trade2026.rl._env import as_utc, market_data
from trade2026.rl._evaluate import DEFAULT_MOMENTUM, EvalResult, evaluate, plot_evaluation
from trade2026.rl._train import Agent, TrainResult, load_agent, train
from trade2026.rl._walkforward import FoldOutcome, TrialSpec, WalkForwardResult, walk_forward

KIND_TAG = ("t26.kind", "rl")
ARTIFACT = "agent"


def load_bars(
    lake: Any,
    symbols: list[str],
    *,
    table: str = "bars_1d",
    start: Any = None,
    end: Any = None,
    prism_run: str | None = None,
    features: str | Sequence[str] | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Bars of ``symbols`` from a lake table (a PRISM run's bars with ``prism_run``), and the source
    description logged with the run: table, Delta version, symbols, PRISM run, features.

    ``features`` is what the environment observes: feature names (``"ret_20,rsi_14"`` or a
    sequence; see :class:`EnvConfig`), or the name of a feature set built in the lake
    (``t26 features build``), whose columns are then joined onto the bars point in time (each bar
    takes the set's last row at or before it, :func:`trade2026.features.asof_join`) as
    ``SET/COLUMN``. ``source["features"]`` is the resulting tuple of feature names to train on
    (None when ``features`` is None); with a set, ``source`` also records ``feature_set``,
    ``feature_hash``, ``feature_table`` and ``feature_version`` (the Delta version read).
    """
    cols = ["run_id"] if prism_run else None
    bars = lake.read_bars(table, symbols=symbols or None, start=start, end=end, columns=cols)
    if prism_run:
        bars = bars.filter(pl.col("run_id") == prism_run)
        if bars.height == 0:
            msg = f"no bars of PRISM run {prism_run!r} in {table!r}; its run ids are in the prism_runs table"
            raise DataError(msg)
    bars = bars.select("symbol", "ts", "open", "high", "low", "close", "volume")
    hist = lake.history(table, limit=1)
    source: dict[str, Any] = {
        "table": table,
        "table_version": hist[0]["version"] if hist else None,
        "symbols": sorted(bars["symbol"].unique().to_list()),
        "prism_run": prism_run,
        "features": None,
    }
    names = _split(features)
    fs_name = _feature_set_name(lake, names)
    if fs_name is None:
        source["features"] = names
        return bars, source
    bars, lineage = _join_feature_set(lake, bars, fs_name, table)
    return bars, source | lineage


def _split(features: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if features is None:
        return None
    items = features.split(",") if isinstance(features, str) else list(features)
    return tuple(x.strip() for x in items if x.strip())


def _feature_set_name(lake: Any, names: tuple[str, ...] | None) -> str | None:
    """The feature set a single name refers to, when the lake stores one by that name."""
    from trade2026.features import DEFINITIONS_TABLE
    from trade2026.rl._features import parse_feature

    if not names or len(names) != 1 or "/" in names[0] or not lake.exists(DEFINITIONS_TABLE):
        return None
    name = names[0]
    if lake.read(DEFINITIONS_TABLE).filter(pl.col("name") == name).height == 0:
        return None
    try:
        parse_feature(name)
    except (ConfigError, InputError):
        return name
    msg = (
        f"{name!r} is both a feature name and a feature set in the lake; rename the feature set, or list its "
        f"columns as {name}/COLUMN"
    )
    raise ConfigError(msg)


def _join_feature_set(lake: Any, bars: pl.DataFrame, name: str, table: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The bars with feature set ``name``'s columns as ``name/COLUMN``, each bar's the set's last row at or
    before it; and the lineage (set, hash, table, version, the feature names)."""
    from trade2026.features import asof_join, read_features

    feats, fs, version = read_features(lake, name, bars["symbol"].unique().to_list())
    if fs.table != table:
        msg = (
            f"feature set {name!r} is built over {fs.table!r}, not {table!r}: its rows are stamped with "
            f"{fs.table}'s bars, so joining them onto other bars could read values computed after a bar; use "
            f"table={fs.table!r} or build a feature set over {table!r}"
        )
        raise ConfigError(msg)
    cols = [f"{fs.name}/{c}" for c in fs.columns]
    joined = asof_join(bars, feats.rename(dict(zip(fs.columns, cols, strict=True))))
    lineage = {
        "features": tuple(cols),
        "feature_set": fs.name,
        "feature_hash": fs.hash,
        "feature_table": fs.feature_table,
        "feature_version": version,
    }
    return joined, lineage


#: the source keys that say which feature set a model was trained on (tags of its registered versions)
_LINEAGE = ("feature_set", "feature_hash", "feature_table", "feature_version")


def _meta_lineage(source: dict[str, Any]) -> dict[str, Any]:
    """What a saved agent keeps of its feature set, so an evaluation joins the same set again."""
    return {k: source[k] for k in ("feature_set", "feature_hash") if source.get(k) is not None}


def _default_name(algo: str, symbols: list[str]) -> str:
    head = "-".join(s.lower() for s in symbols[:3])
    return f"rl-{algo}-{head}" + ("-etc" if len(symbols) > 3 else "")


def _flat_metrics(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _eval_metrics(ev: EvalResult) -> dict[str, Any]:
    b = ev.to_dict()["baselines"]
    out = _flat_metrics("oos_", ev.metrics)
    out |= _flat_metrics("oos_buy_and_hold_", b["buy_and_hold"])
    out |= _flat_metrics("oos_momentum_", b["momentum"])
    out["oos_random_sharpe_p50"] = b["random"]["sharpe"]["p50"]
    out["oos_random_sharpe_p95"] = b["random"]["sharpe"]["p95"]
    if b["random"].get("agent_sharpe_percentile") is not None:
        out["oos_agent_sharpe_percentile"] = b["random"]["agent_sharpe_percentile"]
    return out


def _log_training(
    run: Any,
    agent: Agent,
    curve: dict[str, np.ndarray],
    *,
    source: dict[str, Any],
    name: str,
    aliases: tuple[str, ...],
    extra_tags: dict[str, Any],
    settings: Any,
) -> dict[str, Any]:
    """Log a training into ``run`` (curve, model artifact) and register the model; returns its version row."""
    from trade2026 import tracking

    run.set_tags({KIND_TAG[0]: KIND_TAG[1], "t26.config_hash": agent.config.config_hash(), **extra_tags})
    run.log_curve("train_episode_reward", curve["step"], curve["episode_reward"])
    run.log_curve("train_episode_return", curve["step"], curve["episode_return"])
    run.log_dict({**agent.describe(), "source": source}, "agent_config.json")
    with tempfile.TemporaryDirectory(prefix="t26-agent-") as tmp:
        agent.save(tmp)
        write_signature(agent, tmp)
        run.log_artifacts(tmp, ARTIFACT)
    tags = {
        "algo": agent.algo,
        "seed": agent.meta.get("seed"),
        "symbols": ",".join(agent.symbols),
        "config_hash": agent.config.config_hash(),
        "train_end": _iso(agent.meta.get("train_end")),
        "bars_table": source.get("table"),
        "bars_version": source.get("table_version"),
        **{k: source[k] for k in _LINEAGE if source.get(k) is not None},
        **extra_tags,
    }
    return tracking.register_model(
        run.run_id, ARTIFACT, name, aliases=aliases, tags=tags, model_tags={KIND_TAG[0]: KIND_TAG[1]}, settings=settings
    )


def _iso(t: Any) -> Any:
    """A timestamp as the one ISO format of the JSON (``2024-01-02T00:00:00+00:00``); else as is."""
    return t.isoformat() if hasattr(t, "isoformat") else t


def write_signature(agent: Agent, path: str) -> None:
    """Write an ``MLmodel`` file with the agent's signature into its saved directory ``path``: the
    input is a batch of observations (float32, (-1, *obs_shape)), the output the actions (the action
    space's dtype, (-1, *action_shape)). The registry then shows what the policy takes and gives
    (``mlflow.models.get_model_info``), as it does for meta-label models."""
    import os

    from mlflow.models import Model, ModelSignature
    from mlflow.types.schema import Schema, TensorSpec

    obs, act = agent.model.observation_space, agent.model.action_space
    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, *obs.shape), "observation")]),
        outputs=Schema([TensorSpec(np.dtype(act.dtype), (-1, *act.shape), "action")]),
    )
    Model(artifact_path=ARTIFACT, signature=signature, metadata={"t26_kind": "rl", "algo": agent.algo}).save(
        os.path.join(path, "MLmodel")
    )


def _train_params(agent: Agent, source: dict[str, Any]) -> dict[str, Any]:
    cfg = agent.config
    return {
        "algo": agent.algo,
        "seed": agent.meta.get("seed"),
        "timesteps": agent.meta.get("timesteps"),
        "n_envs": agent.meta.get("n_envs"),
        "net_arch": agent.meta.get("net_arch"),
        "hyperparams": agent.meta.get("hyperparams"),
        "symbols": ",".join(agent.symbols),
        "train_start": _iso(agent.meta.get("train_start")),
        "train_end": _iso(agent.meta.get("train_end")),
        "config_hash": cfg.config_hash(),
        "env_config": cfg.to_dict(),
        "table": source.get("table"),
        "table_version": source.get("table_version"),
        "prism_run": source.get("prism_run"),
        **{k: source[k] for k in _LINEAGE if source.get(k) is not None},
        **{f"fold_{k}": v for k, v in agent.meta.items() if k == "fold"},
    }


@dataclass(frozen=True)
class TrainRun:
    """``t26 rl train``'s result: the training, its out-of-sample evaluation and where it was logged."""

    result: TrainResult = field(repr=False)
    evaluation: EvalResult | None = field(repr=False)
    source: dict[str, Any]
    embargo: int
    run_id: str | None = None
    model: dict[str, Any] | None = None
    saved_to: str | None = None

    @property
    def agent(self) -> Agent:
        return self.result.agent

    def to_dict(self) -> dict[str, Any]:
        a = self.agent
        return {
            "run_id": self.run_id,
            "model": self.model,
            "saved_to": self.saved_to,
            "algo": a.algo,
            "symbols": a.symbols,
            "seed": a.meta.get("seed"),
            "timesteps": a.meta.get("timesteps"),
            "config_hash": a.config.config_hash(),
            "source": self.source,
            "train_start": a.meta.get("train_start"),
            "train_end": a.meta.get("train_end"),
            "embargo": self.embargo,
            "training": self.result.to_dict(),
            "out_of_sample": self.evaluation.to_dict() if self.evaluation is not None else None,
        }


def train_run(
    bars: Any,
    *,
    train_end: Any = None,
    embargo: int = 5,
    algo: str = "ppo",
    timesteps: int = 20_000,
    seed: int = 0,
    n_envs: int = 8,
    config: EnvConfig | None = None,
    hyperparams: dict[str, Any] | None = None,
    net_arch: tuple[int, ...] = (64, 64),
    n_random: int = 100,
    momentum: str = DEFAULT_MOMENTUM,
    source: dict[str, Any] | None = None,
    name: str | None = None,
    save_dir: str | None = None,
    track: bool = True,
    settings: Any = None,
    progress: bool = False,
    **env_settings: Any,
) -> TrainRun:
    """Train on the bars up to ``train_end``; evaluate out of sample on the bars after it and an
    ``embargo`` of bars; log the MLflow run and register the model under ``name``.

    The out-of-sample bars are read only by the trained policy (the scaler and the policy are
    frozen before); with no bars after ``train_end`` there is no out-of-sample section.
    """
    from trade2026 import tracking

    cfg = make_env_config(config, **env_settings)
    full = market_data(bars, cfg)
    cut = full.last_bar if train_end is None else full.bar_index(train_end, before=True)
    train_data = full.slice(0, cut + 1)
    src = source or {"symbols": list(full.symbols)}
    res = train(
        train_data,
        algo=algo,
        timesteps=timesteps,
        seed=seed,
        n_envs=n_envs,
        hyperparams=hyperparams,
        net_arch=net_arch,
        progress=progress,
        meta={"table": src.get("table"), "prism_run": src.get("prism_run"), "data_start": full.ts[0]}
        | _meta_lineage(src),
    )
    agent = res.agent
    ev = None
    oos_start = cut + 1 + embargo
    if oos_start < full.last_bar:
        ev = evaluate(agent, bars, start=full.ts[oos_start], n_random=n_random, seed=seed, momentum=momentum)
    if save_dir:
        agent.save(save_dir)
    run_id = model = None
    if track:
        with tracking.start_run(
            "rl-train", settings=settings, params=_train_params(agent, src) | {"embargo": embargo}
        ) as run:
            if ev is not None:
                run.log_metrics(_eval_metrics(ev))
                run.log_dict(ev.to_dict(), "oos.json")
            model = _log_training(
                run,
                agent,
                res.curve,
                source=src,
                name=name or _default_name(algo, agent.symbols),
                aliases=("newest",),
                extra_tags={},
                settings=settings,
            )
            run_id = run.run_id
    return TrainRun(res, ev, src, embargo, run_id, model, save_dir)


def walk_forward_run(
    bars: Any,
    *,
    algos: tuple[str, ...] = ("ppo",),
    rewards: tuple[str, ...] | None = None,
    config: EnvConfig | None = None,
    env_settings: dict[str, Any] | None = None,
    hyperparams: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
    name: str | None = None,
    track: bool = True,
    settings: Any = None,
    **kw: Any,
) -> WalkForwardResult:
    """:func:`walk_forward` over ``algos x rewards`` configurations (``kw`` are its fold, training and
    baseline settings), with a parent MLflow run (``rl-walk-forward``) and one nested ``rl-train`` run
    per training, each model registered under ``name`` (tags: fold, seed, configuration). The alias
    ``walk-forward`` points at the model trained on the most recent window (first configuration and seed)."""
    from dataclasses import replace

    from trade2026 import tracking
    from trade2026.core import to_polars

    base = make_env_config(config, **(env_settings or {}))
    hp = tuple(sorted((hyperparams or {}).items()))
    specs = [TrialSpec(a, replace(base, reward=r).check(), hp) for a in algos for r in (rewards or (base.reward,))]
    src = source or {}
    if not track:
        return walk_forward(bars, specs=specs, **kw)
    frame, _ = to_polars(bars, what="bars")
    symbols = sorted(frame["symbol"].unique().to_list())
    model_name = name or _default_name("wf-" + "-".join(algos), symbols)
    registered: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "algos": ",".join(algos),
        "rewards": ",".join(sp.config.reward for sp in specs),
        "seeds": ",".join(map(str, kw.get("seeds", (1,)))),
        **{k: kw[k] for k in ("train", "test", "embargo", "timesteps", "n_envs", "anchored") if k in kw},
        "symbols": ",".join(symbols),
        "table": src.get("table"),
        "table_version": src.get("table_version"),
        **{k: src[k] for k in _LINEAGE if src.get(k) is not None},
        "env_config": base.to_dict(),
    }
    with tracking.start_run(
        "rl-walk-forward", settings=settings, params=params, tags={KIND_TAG[0]: KIND_TAG[1]}
    ) as parent:

        def log_fold(o: FoldOutcome, agent: Agent) -> None:
            sp = specs[o.spec_index]
            agent.meta |= {"table": src.get("table"), "prism_run": src.get("prism_run")} | _meta_lineage(src)
            with tracking.start_run(
                "rl-train", settings=settings, params=_train_params(agent, src), parent_run_id=parent.run_id
            ) as child:
                child.log_metrics({"fold_test_return": o.fold_return})
                row = _log_training(
                    child,
                    agent,
                    o.curve,
                    source=src,
                    name=model_name,
                    aliases=(),
                    extra_tags={"fold": o.fold, "config": sp.label(), "walk_forward": parent.run_id},
                    settings=settings,
                )
                registered.append(row)

        res = walk_forward(bars, specs=specs, logger=log_fold, **kw)
        metrics: dict[str, Any] = {}
        for t in res.trials:
            tag = f"c{t.spec_index}_s{t.seed}_"
            metrics |= {
                tag + "oos_sharpe": t.metrics.get("sharpe"),
                tag + "oos_total_return": t.metrics.get("total_return"),
                tag + "dsr": t.dsr,
            }
        for row in res.spread():
            key = row["config"].replace("/", "_")
            metrics |= {f"{key}_sharpe_mean": row["sharpe_mean"], f"{key}_sharpe_std": row["sharpe_std"]}
        b = res.baselines.to_dict()
        metrics |= _flat_metrics("oos_buy_and_hold_", b["buy_and_hold"]) | _flat_metrics("oos_momentum_", b["momentum"])
        metrics["oos_random_sharpe_p50"] = b["random"]["sharpe"]["p50"]
        parent.log_metrics(metrics)
        last = str(max(f.index for f in res.folds))
        deploy = [r for r in registered if r["tags"].get("fold") == last]
        if deploy:
            tracking.set_model_alias(model_name, "walk-forward", deploy[0]["version"], settings)
            deploy[0]["aliases"] = sorted({*deploy[0]["aliases"], "walk-forward"})
        out = replace(res, run_id=parent.run_id, registered=registered)
        parent.log_dict(out.to_dict(), "walk_forward.json")
    return out


def eval_run(
    model: str,
    lake: Any,
    *,
    start: Any,
    end: Any = None,
    symbols: list[str] | None = None,
    table: str | None = None,
    prism_run: str | None = None,
    in_sample: bool = False,
    n_random: int = 100,
    seed: int = 0,
    momentum: str = DEFAULT_MOMENTUM,
    plot: str | None = None,
    track: bool = True,
    settings: Any = None,
) -> tuple[EvalResult, str | None]:
    """Load ``model`` (registry name[@alias|/version] or a saved directory) and evaluate it on the lake's
    bars of its symbols from ``start``; returns the result and the MLflow run id (``rl-eval``)."""
    from trade2026 import tracking

    agent = load_agent(model, settings=settings)
    syms = symbols or agent.symbols
    src_table = table or agent.meta.get("table") or "bars_1d"
    run = prism_run or (agent.meta.get("prism_run") if table is None else None)
    # Read from where the training's history began, so the features are computed exactly as they were.
    first = as_utc(agent.meta["data_start"]) if agent.meta.get("data_start") else None
    fs_name = agent.meta.get("feature_set")
    bars, source = load_bars(
        lake, syms, table=src_table, start=first, end=end, prism_run=run, features=fs_name and [fs_name]
    )
    if fs_name and source.get("feature_set") is None:
        msg = f"{model!r} was trained on feature set {fs_name!r}, which the lake no longer holds; build it again"
        raise DataError(msg)
    if fs_name and source.get("feature_hash") != agent.meta.get("feature_hash"):
        msg = (
            f"feature set {fs_name!r} changed since {model!r} was trained (hash {source.get('feature_hash')}, the "
            f"model's {agent.meta.get('feature_hash')}); retrain the agent or restore the set's definition"
        )
        raise DataError(msg)
    ev = evaluate(
        agent, bars, start=start, end=end, in_sample=in_sample, n_random=n_random, seed=seed, momentum=momentum
    )
    if plot:
        plot_evaluation(ev.equity_frame(), plot, title=f"{model}: out-of-sample equity, net of costs")
    run_id = None
    if track:
        params = {
            "model": model,
            "start": ev.start,
            "end": ev.end,
            "in_sample": in_sample,
            "table": source["table"],
            "table_version": source["table_version"],
            "config_hash": agent.config.config_hash(),
            **{k: source[k] for k in _LINEAGE if source.get(k) is not None},
        }
        with tracking.start_run("rl-eval", settings=settings, params=params, tags={KIND_TAG[0]: KIND_TAG[1]}) as tr:
            tr.log_metrics(_eval_metrics(ev))
            tr.log_dict(ev.to_dict(), "eval.json")
            if plot:
                tr.log_artifact(plot)
            run_id = tr.run_id
    return ev, run_id


def list_models(settings: Any = None) -> list[dict[str, Any]]:
    """Every version of every registered RL model: name, version, aliases, algo, symbols, seed, fold, training
    end, feature set (None without one)."""
    from trade2026 import tracking

    rows = []
    for r in tracking.list_models(settings, tag=KIND_TAG):
        t = r["tags"]
        rows.append(
            {
                "name": r["name"],
                "version": r["version"],
                "aliases": r["aliases"],
                "algo": t.get("algo"),
                "symbols": t.get("symbols"),
                "seed": t.get("seed"),
                "fold": t.get("fold"),
                "train_end": t.get("train_end"),
                "feature_set": t.get("feature_set"),
                "run_id": r["run_id"],
                "created": r["created"],
            }
        )
    return rows
