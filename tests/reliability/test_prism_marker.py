"""PRISM's completion marker (``prism_runs``) describes what the data tables hold (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trade2026.lake import Lake
from trade2026.sim.prism import load_config, parse_agents, parse_duration_hours, simulate_runs
from trade2026.sim.prism._persist import TABLES, complete_runs

AGENTS = parse_agents("mm=2,noise=6,value=3,momentum=2")


def _cfg(seed: int) -> Any:
    return load_config(agents=AGENTS, session_hours=parse_duration_hours("30m"), days=1, seed=seed)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (not an Exception, so no handler catches it)."""


def _run_ids(lake: Lake) -> dict[str, set[str]]:
    return {t: set(lake.read(t)["run_id"].unique().to_list()) for t in TABLES if lake.exists(t)}


def test_a_rerun_killed_between_tables_no_longer_claims_the_old_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reproduction: a rerun killed after replacing some data tables left ``prism_runs`` naming the
    old run as if the tables still held it."""
    lake = Lake(tmp_path)
    old = simulate_runs(_cfg(5), lake=lake).runs[0]["prism_run"]
    assert complete_runs(lake)["run_id"].to_list() == [old]

    real_write = Lake.write
    data_writes = {"n": 0}

    def write(self: Lake, table: str, *args: Any, **kw: Any) -> Any:
        if table != "prism_runs":
            data_writes["n"] += 1
            if data_writes["n"] > 2:
                raise Killed
        return real_write(self, table, *args, **kw)

    monkeypatch.setattr(Lake, "write", write)
    with pytest.raises(Killed):
        simulate_runs(_cfg(6), lake=lake)
    monkeypatch.setattr(Lake, "write", real_write)

    marker = lake.read("prism_runs")
    assert marker.height == 1 and marker["status"].to_list() == ["writing"]
    new = marker["run_id"][0]
    assert new != old
    assert complete_runs(lake).height == 0
    assert {new, old} == set().union(*_run_ids(lake).values())  # a mix: neither run is complete

    # the next run of the symbol replaces everything and completes
    again = simulate_runs(_cfg(6), lake=lake).runs[0]["prism_run"]
    assert again == new
    assert complete_runs(lake)["run_id"].to_list() == [new]
    assert all(ids == {new} for ids in _run_ids(lake).values())


def test_every_table_holds_the_complete_run_named_by_the_marker(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    report = simulate_runs(_cfg(1), [1, 2], lake=lake)
    done = complete_runs(lake).sort("symbol")
    assert done["symbol"].to_list() == ["PRISM_1", "PRISM_2"]
    names = dict(zip(done["symbol"], done["run_id"], strict=True))
    for table in TABLES:
        pairs = lake.read(table).select("symbol", "run_id").unique()
        assert all(names[s] == r for s, r in pairs.iter_rows()), table
    assert report.tables["prism_runs"] == 2


def test_a_home_written_before_the_status_column_gets_it(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    simulate_runs(_cfg(1), [1, 2], lake=lake)
    legacy = lake.read("prism_runs").drop("status")
    lake.write("prism_runs", legacy, mode="overwrite")
    assert complete_runs(lake).height == 2
    simulate_runs(_cfg(3), lake=lake)
    runs = lake.read("prism_runs")
    assert runs.filter(pl.col("status") == "complete").height == 3
