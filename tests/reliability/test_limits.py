"""Work is estimated before it starts and refused beyond a documented limit (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.config import LIMITS, check_work, work_limit
from trade2026.errors import ConfigError, InputError
from trade2026.lake import Lake


@pytest.mark.parametrize(
    ("args", "var"),
    [
        (["--days", "100000"], "T26_MAX_PRISM_EVENTS"),
        (["--seeds", "1-100000"], "T26_MAX_SEEDS"),
        (["--seeds", "1-1000000000000"], "T26_MAX_SEEDS"),  # counted, never expanded
        (["--agents", "noise=100000000"], "T26_MAX_PRISM_AGENTS"),
        (["--seeds", "1-5000"], "T26_MAX_PRISM_EVENTS"),  # each run is small, all of them are not
    ],
)
def test_prism_work_beyond_the_limits_exits_2_before_starting(cli: Any, home: Path, args: list[str], var: str) -> None:
    """The reproduction: these ran until the machine gave out (7 GB and growing for 1-100000)."""
    r = cli("sim", "prism", *args, "--no-track")
    assert r.exit_code == 2, r.output
    assert var in r.output and "Limits" in r.output
    assert not (home / "lake").exists() or not Lake(home).tables()


def test_a_20000_by_20000_grid_is_refused_before_it_is_expanded(cli: Any, sample_lake: Lake) -> None:
    r = cli("backtest", "sma_cross", "--grid", "fast=1:20000,slow=1:20000", "--no-track")
    assert r.exit_code == 2, r.output
    assert "T26_MAX_GRID" in r.output


def test_monte_carlo_paths_times_periods_is_capped(sample_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    from trade2026.sim import monte_carlo

    monkeypatch.setenv("T26_MAX_CELLS", "1000")
    with pytest.raises(InputError, match="T26_MAX_CELLS"):
        monte_carlo(returns=[0.01, -0.01] * 100, n_paths=10)  # 10 x 200 cells > 1000


def test_raising_a_limit_lets_the_work_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from trade2026.sim.prism import parse_seeds

    with pytest.raises(ConfigError, match="T26_MAX_SEEDS"):
        parse_seeds("1-20000")
    monkeypatch.setenv("T26_MAX_SEEDS", "2e4")
    assert len(parse_seeds("1-20000")) == 20000


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "lots"])
def test_a_bad_limit_setting_is_a_config_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("T26_MAX_GRID", raw)
    with pytest.raises(ConfigError, match="T26_MAX_GRID"):
        work_limit("grid")


@settings(max_examples=100)
@given(st.sampled_from(sorted(LIMITS)), st.floats(min_value=0, max_value=1e15))
def test_check_work_refuses_exactly_above_the_limit(name: str, amount: float) -> None:
    limit = LIMITS[name][0]
    if amount > limit:
        with pytest.raises(ConfigError, match=f"T26_MAX_{name.upper()}"):
            check_work(name, amount, "work")
    else:
        check_work(name, amount, "work")


def test_the_readme_states_every_limit() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for name, (default, _, _) in LIMITS.items():
        assert f"`{name}` | {default:.0e}".replace("e+0", "e") in section, name
        assert f"T26_MAX_{name.upper()}" in section


def test_monte_carlo_prism_paths_count_against_the_prism_limit(
    sample_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each prism path is a full PRISM run: 200 paths of a year ran unchecked (one run passed the check)."""
    from trade2026.sim import monte_carlo

    sym = sample_lake.read("bars_1d", columns=["symbol"])["symbol"][0]
    bars = sample_lake.read_bars(symbols=[sym])
    one_year = 252 * 165_000  # sessions x wake-ups of the default market: ~4e7, well under the 2e8 limit
    assert one_year < LIMITS["prism_events"][0]
    with pytest.raises(ConfigError, match="T26_MAX_PRISM_EVENTS") as err:
        monte_carlo(bars, "sma_cross:fast=5,slow=20", methods=["prism"], synthetic_paths=200)
    assert "200 PRISM path" in str(err.value)
