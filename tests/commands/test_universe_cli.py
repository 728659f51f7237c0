"""`--universe` ("AAA,BBB" or "sector:NAME") selects the same symbols in every command that takes
symbols; these are the commands not covered by their own CLI tests (screen, regime, factors and
portfolio test theirs)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trade2026.lake import Lake


def _sector(lake: Lake) -> tuple[str, list[str]]:
    meta = lake.read("symbols")
    sector = meta["sector"][0]
    members = sorted(meta.filter(meta["sector"] == sector)["symbol"].to_list())
    return sector, members


def test_backtest_takes_a_sector_universe(cli: Any, sample_lake: Lake) -> None:
    sector, members = _sector(sample_lake)
    r = cli("backtest", "sma_cross:fast=5,slow=20", "--universe", f"sector:{sector}", "--no-track", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["symbols"] == members
    r = cli("backtest", "sma_cross", "--symbols", members[0], "--universe", f"sector:{sector}")
    assert r.exit_code == 2 and "not both" in r.output


@pytest.mark.parametrize("command", ["fracdiff", "label"])
def test_fml_commands_take_a_universe(cli: Any, sample_lake: Lake, command: str) -> None:
    sector, members = _sector(sample_lake)
    extra = ["--d", "0.4", "--thresh", "1e-3"] if command == "fracdiff" else []
    r = cli(command, "--universe", f"sector:{sector}", *extra, "--no-track", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["results" if command == "fracdiff" else "summary"]
    assert [row["symbol"] for row in rows] == members
    r = cli(command, "--universe", "sector:Nowhere", *extra)
    assert r.exit_code == 2 and "sector" in r.output.lower()
    r = cli(command, *extra)
    assert r.exit_code == 2 and "--universe" in r.output
