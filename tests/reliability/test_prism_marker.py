"""PRISM's completion marker (``prism_runs``) describes what the data tables hold (issue 18)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
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


def _run_ids(lake: Lake) -> dict[str, set[str]]:
    return {t: set(lake.read(t)["run_id"].unique().to_list()) for t in TABLES if lake.exists(t)}


WRITER = """
import os, signal, sys, time
from pathlib import Path
from trade2026.lake import Lake
from trade2026.sim.prism import load_config, parse_agents, parse_duration_hours, simulate_runs

home, seed, stop_after, gate = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
real_write = Lake.write
n = {"data": 0}

def write(self, table, *args, **kw):
    out = real_write(self, table, *args, **kw)
    if table != "prism_runs":
        n["data"] += 1
        if n["data"] == stop_after:
            Path(gate + ".reached").touch()
            while not Path(gate + ".go").exists():  # parked mid-run until the test says go (or kills it)
                time.sleep(0.02)
    return out

if stop_after:
    Lake.write = write
cfg = load_config(agents=parse_agents("mm=2,noise=6,value=3,momentum=2"),
                  session_hours=parse_duration_hours("30m"), days=1, seed=seed)
simulate_runs(cfg, lake=Lake(home))
"""


def _writer(home: Path, seed: int, stop_after: int, gate: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(home), str(seed), str(stop_after), str(gate)])


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"writer exited early with {proc.returncode}"
        assert time.monotonic() < deadline, "writer never reached the kill point"
        time.sleep(0.05)


def _snapshot(lake: Lake) -> dict[str, pl.DataFrame]:
    return {t: lake.read(t).sort(lake.read(t).columns) for t in [*TABLES, "prism_runs"] if lake.exists(t)}


def test_a_rerun_killed_mid_write_leaves_no_rows_of_it(tmp_path: Path) -> None:
    """The reproduction: a rerun SIGKILLed after replacing some tables left a mix of the old and the new
    run (and ``prism_runs`` saying "writing"); now readers see exactly the last complete run, during the
    write and after the kill, and the undo record is gone once a reader has rolled it back."""
    lake = Lake(tmp_path)
    old = simulate_runs(_cfg(5), lake=lake).runs[0]["prism_run"]
    before = _snapshot(lake)
    gate = tmp_path / "gate"
    proc = _writer(tmp_path, 6, 3, gate)
    try:
        _wait_for(Path(str(gate) + ".reached"), proc)
        during = _snapshot(Lake(tmp_path))  # the writer is alive, three tables already replaced
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    after = _snapshot(Lake(tmp_path))
    for name, snap in (("during", during), ("after", after)):
        assert snap.keys() == before.keys(), name
        for t, df in before.items():
            assert snap[t].equals(df), f"{name}: {t}"
    assert complete_runs(lake)["run_id"].to_list() == [old]
    assert not list((tmp_path / "lake" / "_t26_txn").glob("*.json"))
    # the next run of the symbol writes normally
    new = simulate_runs(_cfg(6), lake=lake).runs[0]["prism_run"]
    assert complete_runs(lake)["run_id"].to_list() == [new]
    assert all(ids == {new} for ids in _run_ids(lake).values())


def test_a_run_failing_mid_write_rolls_back_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(tmp_path)
    simulate_runs(_cfg(5), lake=lake)
    before = _snapshot(lake)
    real_write = Lake.write
    n = {"data": 0}

    def write(self: Lake, table: str, *args: Any, **kw: Any) -> Any:
        if table != "prism_runs":
            n["data"] += 1
            if n["data"] > 2:
                raise OSError("disk full")
        return real_write(self, table, *args, **kw)

    monkeypatch.setattr(Lake, "write", write)
    with pytest.raises(OSError, match="disk full"):
        simulate_runs(_cfg(6), lake=lake)
    monkeypatch.setattr(Lake, "write", real_write)
    after = _snapshot(lake)
    assert all(after[t].equals(df) for t, df in before.items())


def test_concurrent_reruns_of_one_symbol_write_one_after_the_other(tmp_path: Path) -> None:
    """Two runs of the same symbol at once: the second waits for the first's transaction, so every
    table ends up holding one complete run (the one the marker names), never a mix."""
    lake = Lake(tmp_path)
    simulate_runs(_cfg(5), lake=lake)
    gate = tmp_path / "gate"
    first = _writer(tmp_path, 6, 2, gate)
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(Path(str(gate) + ".reached"), first)
        second = _writer(tmp_path, 7, 0, tmp_path / "unused")
        time.sleep(3.0)  # the second run simulates, then waits for the lock the first holds
        assert second.poll() is None
        Path(str(gate) + ".go").touch()
        assert first.wait(timeout=120) == 0
        assert second.wait(timeout=120) == 0
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
    done = complete_runs(lake)
    assert done.height == 1
    assert all(ids == {done["run_id"][0]} for ids in _run_ids(lake).values())


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
