"""``t26 rl``: reinforcement-learning agents trained and judged out of sample (``trade2026.rl``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command, parse_date, split_list

app = typer.Typer(
    help="Reinforcement-learning trading agents with the backtest engine's fills and costs, judged out of sample.",
    no_args_is_help=True,
)

SymbolsOpt = Annotated[str, typer.Option("--symbols", help="Comma-separated symbols, e.g. ACC,ACZV.")]
TableOpt = Annotated[str, typer.Option("--table", help="Bars table (bars_1d, bars_1m, bars_1m_prism, ...).")]
PrismRunOpt = Annotated[
    str | None, typer.Option("--prism-run", help="With a PRISM bars table: the run id whose bars to use.")
]
StartOpt = Annotated[str | None, typer.Option("--start", help="First bar to read (YYYY-MM-DD).")]
ActionOpt = Annotated[
    str, typer.Option("--action", help="discrete (one of --positions per symbol) | continuous | weights.")
]
PositionsOpt = Annotated[str, typer.Option("--positions", help="Discrete exposures, comma-separated.")]
LongOnlyOpt = Annotated[
    bool, typer.Option("--long-only/--long-short", help="weights: long-only simplex, or long/short within --gross.")
]
GrossOpt = Annotated[float, typer.Option("--gross", help="weights --long-short: gross exposure limit.")]
FeaturesOpt = Annotated[
    str,
    typer.Option(
        "--features",
        help="ret_N, fracdiff_D_W or indicator names (rsi_14, mom_63, ...), comma-separated; or the name of a "
        "feature set built with t26 features build (its columns, joined point in time).",
    ),
]
WindowOpt = Annotated[int, typer.Option("--window", help="Bars of features in each observation.")]
EpisodeOpt = Annotated[int, typer.Option("--episode-length", help="Decisions per training episode (0: whole series).")]
EtaOpt = Annotated[float, typer.Option("--eta", help="Adaptation rate of the differential Sharpe ratio reward.")]
RiskOpt = Annotated[
    float, typer.Option("--risk-aversion", help="risk_penalised reward: log_return - this * log_return^2.")
]
RuinOpt = Annotated[float, typer.Option("--ruin-floor", help="Terminate an episode below this fraction of the start.")]
FillOpt = Annotated[str, typer.Option("--fill", help="Fill a decision on the next bar's open or close.")]
CommOpt = Annotated[float, typer.Option("--commission-bps", help="Commission in bps of traded notional.")]
SlipOpt = Annotated[float, typer.Option("--slippage-bps", help="Slippage in bps of the price, against the trade.")]
BorrowOpt = Annotated[float, typer.Option("--borrow-bps", help="Borrow cost of shorts, bps a year.")]
PpyOpt = Annotated[float, typer.Option("--periods-per-year", help="Bars per year (252 daily; more intraday).")]
TimestepsOpt = Annotated[int, typer.Option("--timesteps", help="Environment steps of training, across the envs.")]
NEnvsOpt = Annotated[int, typer.Option("--n-envs", help="Environments stepped together (the batched VecEnv).")]
NetOpt = Annotated[str, typer.Option("--net-arch", help="Hidden layer sizes of the policy, comma-separated.")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", help="SB3 algorithm setting KEY=VALUE (repeatable), e.g. learning_rate=1e-3."),
]
NameOpt = Annotated[str | None, typer.Option("--name", help="Registered model name (default from algo and symbols).")]
RandomOpt = Annotated[int, typer.Option("--n-random", help="Random policies in the baseline distribution.")]
MomentumOpt = Annotated[str, typer.Option("--momentum", help="The momentum baseline (a t26 backtest strategy spec).")]
EmbargoOpt = Annotated[int, typer.Option("--embargo", help="Bars skipped between training and out-of-sample data.")]


def _env_settings(
    *,
    action: str,
    positions: str,
    long_only: bool,
    gross: float,
    reward: str,
    eta: float,
    risk_aversion: float,
    ruin_floor: float,
    features: str,
    window: int,
    episode_length: int,
    fill: str,
    commission_bps: float,
    slippage_bps: float,
    borrow_bps: float,
    periods_per_year: float,
) -> dict[str, Any]:
    from trade2026.errors import InputError

    try:
        pos = tuple(float(x) for x in split_list(positions))
    except ValueError:
        msg = f"--positions must be numbers separated by commas, got {positions!r}"
        raise InputError(msg) from None
    return {
        "action": action,
        "positions": pos,
        "long_only": long_only,
        "gross": gross,
        "reward": reward,
        "eta": eta,
        "risk_aversion": risk_aversion,
        "ruin_floor": ruin_floor,
        "features": tuple(split_list(features)),
        "window": window,
        "episode_length": episode_length or None,
        "fill": fill,
        "commission_bps": commission_bps,
        "slippage_bps": slippage_bps,
        "borrow_bps": borrow_bps,
        "periods_per_year": periods_per_year,
    }


def _params(items: list[str] | None) -> dict[str, Any]:
    import json

    from trade2026.errors import InputError

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            msg = f"--param takes KEY=VALUE, got {item!r}"
            raise InputError(msg)
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def _ints(text: str, opt: str) -> list[int]:
    """``"64,64"`` -> [64, 64] (also ``"1-3"`` -> [1, 2, 3]); seeds go through ``parse_seeds``."""
    from trade2026.errors import InputError

    out: list[int] = []
    try:
        for part in split_list(text):
            if "-" in part[1:]:
                lo, hi = part.split("-", 1)
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(part))
    except ValueError:
        msg = f"{opt} takes integers like 1-5 or 1,3,7, got {text!r}"
        raise InputError(msg) from None
    if not out:
        msg = f"{opt} names no value"
        raise InputError(msg)
    return out


def _symbols(text: str) -> list[str]:
    from trade2026.errors import InputError

    syms = split_list(text)
    if not syms:
        msg = "--symbols names no symbol; e.g. --symbols ACC,ACZV"
        raise InputError(msg)
    return syms


def _comparison(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Agent vs baselines rows from an evaluation dict."""
    keys = ("total_return", "cagr", "ann_vol", "sharpe", "max_drawdown", "turnover")
    b = d["baselines"]
    rows = [{"policy": "agent", **{k: d["metrics"].get(k) for k in keys}}]
    rows.append({"policy": "buy_and_hold", **{k: b["buy_and_hold"].get(k) for k in keys}})
    rows.append({"policy": f"momentum ({b['momentum']['strategy']})", **{k: b["momentum"].get(k) for k in keys}})
    r = b["random"]
    rows.append(
        {
            "policy": f"random p50 of {r['policies']}",
            "total_return": r["total_return"]["p50"],
            "sharpe": r["sharpe"]["p50"],
            "max_drawdown": r["max_drawdown"]["p50"],
        }
    )
    return rows


@command(app, "train", tracked=True)
def train(
    ctx: Ctx,
    symbols: SymbolsOpt,
    algo: Annotated[
        str, typer.Option("--algo", help="ppo | a2c | dqn (one symbol, discrete) | sac (continuous).")
    ] = "ppo",
    table: TableOpt = "bars_1d",
    prism_run: PrismRunOpt = None,
    start: StartOpt = None,
    train_end: Annotated[
        str | None, typer.Option("--train-end", help="Last training bar; later bars are out of sample.")
    ] = None,
    embargo: EmbargoOpt = 5,
    timesteps: TimestepsOpt = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the training and the environments.")] = 0,
    n_envs: NEnvsOpt = 8,
    action: ActionOpt = "discrete",
    positions: PositionsOpt = "-1,0,1",
    long_only: LongOnlyOpt = True,
    gross: GrossOpt = 1.0,
    reward: Annotated[str, typer.Option("--reward", help="log_return | dsr | risk_penalised.")] = "log_return",
    eta: EtaOpt = 0.01,
    risk_aversion: RiskOpt = 10.0,
    ruin_floor: RuinOpt = 0.2,
    features: FeaturesOpt = "ret_20",
    window: WindowOpt = 16,
    episode_length: EpisodeOpt = 252,
    fill: FillOpt = "open",
    commission_bps: CommOpt = 0.0,
    slippage_bps: SlipOpt = 0.0,
    borrow_bps: BorrowOpt = 0.0,
    periods_per_year: PpyOpt = 252.0,
    net_arch: NetOpt = "64,64",
    param: ParamOpt = None,
    name: NameOpt = None,
    save: Annotated[Path | None, typer.Option("--save", help="Also save the agent to this directory.")] = None,
    n_random: RandomOpt = 100,
    momentum: MomentumOpt = "tsmom:lookback=126,short=0",
) -> Out:
    """Train an agent up to --train-end and judge it on the bars after it.

    The out-of-sample bars (after --train-end and an --embargo) are read only by the trained policy,
    against buy-and-hold, momentum and random policies with the same costs. The run is logged to
    MLflow with the model registered under --name (alias 'newest').

    --features NAME trains on a feature set built with t26 features build (each bar takes the set's
    last row at or before it); the set, its hash and its table version are recorded with the model.

    Example: t26 rl train --algo ppo --symbols ACC,ACZV --train-end 2022-12-31 --timesteps 20000 --seed 1
    """
    from trade2026.rl import load_bars, train_run

    env = _env_settings(
        action=action, positions=positions, long_only=long_only, gross=gross, reward=reward, eta=eta,
        risk_aversion=risk_aversion, ruin_floor=ruin_floor, features=features, window=window,
        episode_length=episode_length, fill=fill, commission_bps=commission_bps, slippage_bps=slippage_bps,
        borrow_bps=borrow_bps, periods_per_year=periods_per_year,
    )  # fmt: skip
    bars, source = load_bars(
        ctx.lake,
        _symbols(symbols),
        table=table,
        start=parse_date(start, "--start"),
        prism_run=prism_run,
        features=env["features"],
    )
    env["features"] = source["features"]  # a feature set's name becomes its columns
    res = train_run(
        bars,
        train_end=parse_date(train_end, "--train-end", end_of_day=True),
        embargo=embargo,
        algo=algo,
        timesteps=timesteps,
        seed=seed,
        n_envs=n_envs,
        hyperparams=_params(param),
        net_arch=tuple(_ints(net_arch, "--net-arch")),
        n_random=n_random,
        momentum=momentum,
        source=source,
        name=name,
        save_dir=str(save) if save else None,
        track=ctx.track,
        settings=ctx.settings,
        progress=not ctx.json,
        **env,
    )
    d = res.to_dict()
    t = d["training"]
    summary = {k: d[k] for k in ("algo", "symbols", "seed", "timesteps", "train_end")} | {
        "episodes": t["episodes"],
        "last_episodes_return": t["final_episode_return"],
    }
    tables: list[tuple[str, list[dict[str, Any]]]] = [("Training", [summary])]
    lines = []
    oos = d["out_of_sample"]
    if oos is not None:
        tables.append(
            (f"Out of sample {oos['start']:%Y-%m-%d} to {oos['end']:%Y-%m-%d} (net of costs)", _comparison(oos))
        )
    else:
        lines.append("no bars after --train-end: no out-of-sample evaluation")
    if d["model"]:
        lines.append(f"registered model {d['model']['name']} version {d['model']['version']} (alias newest)")
    if d["run_id"]:
        lines.insert(0, f"MLflow run {d['run_id']}")
    if save:
        lines.append(f"agent saved to {save}")
    return Out(d, tables=tables, lines=lines)


@command(app, "walk-forward", tracked=True)
def walk_forward(
    ctx: Ctx,
    symbols: SymbolsOpt,
    algo: Annotated[str, typer.Option("--algo", help="Algorithms, comma-separated (each a configuration).")] = "ppo",
    reward: Annotated[
        str, typer.Option("--reward", help="Rewards, comma-separated (x algorithms = configurations).")
    ] = "log_return",
    seeds: Annotated[
        str, typer.Option("--seeds", help="Training seeds: 1-5 or 1,3,7 (trials = configs x seeds).")
    ] = "1",
    train: Annotated[int, typer.Option("--train", help="Training decisions per fold (bars).")] = 756,
    test: Annotated[int, typer.Option("--test", help="Out-of-sample decisions per fold (bars).")] = 126,
    embargo: EmbargoOpt = 5,
    anchored: Annotated[bool, typer.Option("--anchored", help="Expanding training windows from the start.")] = False,
    table: TableOpt = "bars_1d",
    prism_run: PrismRunOpt = None,
    start: StartOpt = None,
    end: Annotated[str | None, typer.Option("--end", help="Last bar to read (YYYY-MM-DD).")] = None,
    timesteps: TimestepsOpt = 20_000,
    n_envs: NEnvsOpt = 8,
    action: ActionOpt = "discrete",
    positions: PositionsOpt = "-1,0,1",
    long_only: LongOnlyOpt = True,
    gross: GrossOpt = 1.0,
    eta: EtaOpt = 0.01,
    risk_aversion: RiskOpt = 10.0,
    ruin_floor: RuinOpt = 0.2,
    features: FeaturesOpt = "ret_20",
    window: WindowOpt = 16,
    episode_length: EpisodeOpt = 252,
    fill: FillOpt = "open",
    commission_bps: CommOpt = 0.0,
    slippage_bps: SlipOpt = 0.0,
    borrow_bps: BorrowOpt = 0.0,
    periods_per_year: PpyOpt = 252.0,
    net_arch: NetOpt = "64,64",
    param: ParamOpt = None,
    name: NameOpt = None,
    n_random: RandomOpt = 100,
    momentum: MomentumOpt = "tsmom:lookback=126,short=0",
    executor: Annotated[
        str | None, typer.Option("--executor", help="serial | processes | ray (default: settings).")
    ] = None,
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="Ray cluster address.")] = None,
) -> Out:
    """Walk-forward RL: train per purged, embargoed fold; backtest the stitched test positions once.

    Each fold trains on its training window only and acts on its test window; each trial's
    (configuration x seed) test positions are stitched and backtested once. Reported against
    buy-and-hold, momentum and random policies, with the deflated Sharpe ratio over every trial and
    the spread across seeds. Every training is an MLflow run nested under the walk-forward's.

    Example: t26 rl walk-forward --algo ppo --symbols ACZV --train 756 --test 126 --seeds 1-5
    """
    from trade2026.rl import load_bars, walk_forward_run
    from trade2026.sim.prism import parse_seeds

    env = _env_settings(
        action=action, positions=positions, long_only=long_only, gross=gross, reward=split_list(reward)[0]
        if reward else "log_return", eta=eta, risk_aversion=risk_aversion, ruin_floor=ruin_floor,
        features=features, window=window, episode_length=episode_length, fill=fill,
        commission_bps=commission_bps, slippage_bps=slippage_bps, borrow_bps=borrow_bps,
        periods_per_year=periods_per_year,
    )  # fmt: skip
    bars, source = load_bars(
        ctx.lake,
        _symbols(symbols),
        table=table,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end", end_of_day=True),
        prism_run=prism_run,
        features=env["features"],
    )
    env["features"] = source["features"]  # a feature set's name becomes its columns
    res = walk_forward_run(
        bars,
        algos=tuple(split_list(algo)),
        rewards=tuple(split_list(reward)) or None,
        env_settings=env,
        hyperparams=_params(param),
        source=source,
        name=name,
        track=ctx.track,
        settings=ctx.settings,
        seeds=parse_seeds(seeds),  # the one seeds grammar (1-5, 1,3,7), with its checks and work limit
        train=train,
        test=test,
        embargo=embargo,
        anchored=anchored,
        timesteps=timesteps,
        n_envs=n_envs,
        net_arch=tuple(_ints(net_arch, "--net-arch")),
        n_random=n_random,
        momentum=momentum,
        executor=executor or ctx.settings.executor,
        ray_address=ray_address or ctx.settings.ray_address,
        progress=not ctx.json,
    )
    d = res.to_dict()
    keys = ("config", "seed", "total_return", "sharpe", "max_drawdown", "turnover", "dsr")
    trials = [{k: t.get(k) for k in keys} for t in d["trials"]]
    b = d["baselines"]
    bk = ("total_return", "sharpe", "max_drawdown")
    rs = b["random"]["sharpe"]
    base = [
        {"policy": "buy_and_hold", **{k: b["buy_and_hold"].get(k) for k in bk}},
        {"policy": f"momentum ({b['momentum']['strategy']})", **{k: b["momentum"].get(k) for k in bk}},
        {
            "policy": f"random p5/p50/p95 of {b['random']['policies']}",
            "sharpe": f"{rs['p5']:.2f} / {rs['p50']:.2f} / {rs['p95']:.2f}",
        },
    ]
    folds = [{k: f[k] for k in ("fold", "train_from", "train_to", "test_from", "test_to")} for f in d["folds"]]
    lines = [
        f"out of sample {d['oos_start']:%Y-%m-%d} to {d['oos_end']:%Y-%m-%d}: {d['n_oos_bars']} bars, "
        f"{d['n_trials']} trial(s); dsr = deflated Sharpe ratio over all trials"
    ]
    if d["run_id"]:
        lines.insert(0, f"MLflow run {d['run_id']} ({len(d['registered'])} trainings, each registered)")
    tables = [
        ("Folds", folds),
        ("Trials (stitched out-of-sample, net of costs)", trials),
        ("Spread across seeds", d["spread"]),
        ("Baselines over the same bars", base),
    ]
    return Out(d, tables=tables, lines=lines)


@command(app, "eval", tracked=True)
def eval_(
    ctx: Ctx,
    model: Annotated[
        str, typer.Argument(help="Registered model: NAME, NAME@ALIAS or NAME/VERSION; or a saved agent directory.")
    ],
    start: Annotated[str, typer.Option("--start", help="First decision bar (YYYY-MM-DD), after the training end.")],
    end: Annotated[str | None, typer.Option("--end", help="Last bar (YYYY-MM-DD; default the last).")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Bars table (default: the model's).")] = None,
    prism_run: PrismRunOpt = None,
    in_sample: Annotated[
        bool, typer.Option("--in-sample", help="Allow a window inside the training period (marked in_sample).")
    ] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG of the equity curves here.")] = None,
    n_random: RandomOpt = 100,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random-policy baseline.")] = 0,
    momentum: MomentumOpt = "tsmom:lookback=126,short=0",
) -> Out:
    """Run a trained agent on bars it has not seen, against the baselines.

    Buy-and-hold, momentum and random policies run over the same bars with the same costs. A window
    starting on or before the model's training end is refused unless --in-sample.

    Example: t26 rl eval rl-ppo-acc-aczv@newest --start 2023-01-01 --plot rl.png
    """
    from trade2026.rl import eval_run

    ev, run_id = eval_run(
        model,
        ctx.lake,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end", end_of_day=True),
        table=table,
        prism_run=prism_run,
        in_sample=in_sample,
        n_random=n_random,
        seed=seed,
        momentum=momentum,
        plot=str(plot) if plot else None,
        track=ctx.track,
        settings=ctx.settings,
    )
    d = ev.to_dict() | {"run_id": run_id}
    title = f"{model}: {d['start']:%Y-%m-%d} to {d['end']:%Y-%m-%d}" + (" (IN SAMPLE)" if d["in_sample"] else "")
    lines = [f"MLflow run {run_id}"] if run_id else []
    if plot:
        lines.append(f"plot written to {plot}")
    return Out(d, tables=[(title, _comparison(d))], lines=lines)


@command(app, "ls")
def ls(ctx: Ctx) -> Out:
    """List the registered RL models (every version, its aliases, algorithm, symbols, training end).

    Example: t26 rl ls
    """
    from trade2026.rl import list_models

    rows = list_models(ctx.settings)
    return Out(rows, tables=[("Registered RL models", rows)])


def register(root: typer.Typer) -> None:
    """Add ``t26 rl`` and its subcommands to the root app."""
    root.add_typer(app, name="rl")
