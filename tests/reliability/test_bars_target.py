"""A bars build writes only bars, only into a bars table, from a ticks table (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import InputError
from trade2026.lake import BarSpec, Lake, bars_from_ticks


def test_bars_to_ticks_is_refused_and_writes_nothing(cli: Any, sample_lake: Lake) -> None:
    """The reproduction: ``t26 data bars --to ticks`` wrote bars into the ticks table and exited 0."""
    before = sample_lake.info("ticks")
    r = cli("data", "bars", "--to", "ticks")
    assert r.exit_code == 2, r.output
    assert "bars table" in r.output and "--to" in r.output
    after = sample_lake.info("ticks")
    assert after["version"] == before["version"] and after["columns"] == before["columns"]


def test_bars_from_a_bars_table_exits_2(cli: Any, sample_lake: Lake) -> None:
    r = cli("data", "bars", "--from", "bars_1d", "--to", "bars_5m")
    assert r.exit_code == 2, r.output
    assert "not a ticks table" in r.output and "--from" in r.output
    assert not sample_lake.exists("bars_5m")


def test_time_0m_exits_2_not_a_panic(cli: Any, sample_lake: Lake) -> None:
    r = cli("data", "bars", "--kind", "time:0m", "--to", "bars_0m")
    assert r.exit_code == 2, r.output
    assert "positive whole number" in r.output
    assert not sample_lake.exists("bars_0m")


@pytest.mark.parametrize("target", ["symbols", "prism_trades", "my_table"])
def test_a_non_bars_table_name_is_refused(sample_lake: Lake, target: str) -> None:
    with pytest.raises(InputError, match="bars tables"):
        bars_from_ticks(sample_lake, target=target)


def test_a_bars_named_table_with_other_columns_is_refused(sample_lake: Lake) -> None:
    import polars as pl

    sample_lake.write("bars_odd", pl.DataFrame({"symbol": ["A"], "price": [1.0]}))
    with pytest.raises(InputError, match="not a bars table"):
        bars_from_ticks(sample_lake, target="bars_odd")
    assert sample_lake.count("bars_odd") == 1


def test_a_bars_build_still_merges_into_a_bars_table(sample_lake: Lake) -> None:
    bars, res = bars_from_ticks(sample_lake, target="bars_1m", kind="time:1m")
    assert bars.height > 0 and res.version >= 0


@settings(max_examples=200)
@given(st.text(max_size=12))
def test_bar_spec_parse_is_a_valid_spec_or_an_input_error(text: str) -> None:
    """Any text is either a spec with a positive size or an InputError (never a crash later)."""
    try:
        spec = BarSpec.parse(text)
    except InputError:
        return
    if spec.kind == "time":
        assert spec.every is not None and int(spec.every.rstrip("usmhd")) > 0
    else:
        assert spec.threshold is not None and 0 < spec.threshold < float("inf")


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["us", "ms", "s", "m", "h", "d"]))
def test_time_specs_are_positive(n: int, unit: str) -> None:
    try:
        spec = BarSpec.parse(f"time:{n}{unit}")
    except InputError:
        assert n == 0 or len(str(n)) > 12
        return
    assert spec.every == f"{n}{unit}"
