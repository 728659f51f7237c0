"""PRISM simulation: determinism, conservation, output tables, configuration errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from trade2026.errors import ConfigError
from trade2026.lake import validate_bars
from trade2026.sim.prism import PrismConfig, config_from_mapping, load_config, parse_agents, simulate
from trade2026.sim.prism import _book as B


def small(**kw: object) -> PrismConfig:
    base = {"agents": {"mm": 2, "noise": 6, "value": 3, "momentum": 2}, "days": 2, "session_hours": 0.5, "seed": 3}
    base.update(kw)
    return config_from_mapping(base).validate()


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    return simulate(small())


def test_same_seed_same_output_byte_for_byte(run) -> None:  # type: ignore[no-untyped-def]
    again = simulate(small())
    for a, b in zip(run.days, again.days, strict=True):
        assert a.trades.tobytes() == b.trades.tobytes()
        assert a.quotes.tobytes() == b.quotes.tobytes()
        assert a.depth.tobytes() == b.depth.tobytes()
    other = simulate(small(seed=4))
    assert other.days[0].trades.tobytes() != run.days[0].trades.tobytes()


def test_cash_and_shares_conserved(run) -> None:  # type: ignore[no-untyped-def]
    assert run.cash.sum() == 0 and run.position.sum() == 0
    traded = 0
    for day in run.days:
        t = day.trades
        assert (t[:, B.T_BUYER] != t[:, B.T_SELLER]).all()  # self-trade prevention
        assert (t[:, B.T_QTY] > 0).all()
        traded += int(t[:, B.T_QTY].sum())
    assert traded > 0
    # every agent's position is what it bought minus what it sold
    bought = np.zeros(len(run.position), dtype=np.int64)
    for day in run.days:
        np.add.at(bought, day.trades[:, B.T_BUYER], day.trades[:, B.T_QTY])
        np.add.at(bought, day.trades[:, B.T_SELLER], -day.trades[:, B.T_QTY])
    assert (bought == run.position).all()


def test_frames_are_consistent(run) -> None:  # type: ignore[no-untyped-def]
    fr = run.frames()
    bars = fr["bars_1m"]
    validate_bars(bars)
    assert bars["volume"].sum() == fr["trades"]["size"].sum()
    q = fr["quotes"].drop_nulls(["bid", "ask"])
    assert (q["bid"] < q["ask"]).all()  # never crossed
    assert fr["depth"]["level"].max() == run.config.depth_levels
    assert set(fr["trades"]["date"].unique().to_list()) == {d.date for d in run.days}
    assert fr["agents"]["position"].sum() == 0
    assert abs(fr["agents"]["pnl"].sum()) < 1e-6  # zero-sum at one mark price
    # trades happen during the session only
    open_ = fr["trades"].group_by("date").agg(pl.col("ts").min().dt.time().alias("t"))
    assert (open_["t"] >= run.config.open_time).all()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"agents": {"mm": 0}}, "agents.mm"),
        ({"agents": {"mm": -2}}, "agents.mm"),
        ({"agents": {"whale": 1}}, "whale"),
        ({"tick_size": 0.0}, "tick_size"),
        ({"session_hours": 0}, "session_hours"),
        ({"mm": {"spread": 1}}, "mm.spread"),
        ({"colour": "red"}, "colour"),
        ({"days": 0}, "days"),
    ],
)
def test_invalid_configs_name_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        config_from_mapping(overrides).validate()


def test_toml_and_flag_parsing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.toml"
    path.write_text("days = 3\n[agents]\nmm = 2\nnoise = 4\n[noise]\np_market = 0.3\n")
    cfg = load_config(path, seed=11)
    assert cfg.days == 3 and cfg.seed == 11 and cfg.agents == {"mm": 2, "noise": 4}
    assert cfg.params["noise"].p_market == 0.3
    assert parse_agents("mm=4, noise=20") == {"mm": 4, "noise": 20}
    with pytest.raises(ConfigError, match="unknown agent type 'x'"):
        parse_agents("x=1")
    bad = tmp_path / "bad.toml"
    bad.write_text("[value]\nthreshhold = 2\n")
    with pytest.raises(ConfigError, match=r"value\.threshhold"):
        load_config(bad)
