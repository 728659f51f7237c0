"""Writers, kills and readers against one home (issue 18): afterwards every table is at a committed
version, no key is duplicated, no value is distorted, and no rows of an unfinished PRISM run pass for
a complete one (killed PRISM runs are rolled back). Bounded in time: about 20 s of churn."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from trade2026.lake import Lake

pytestmark = pytest.mark.slow

CHURN_S = 20.0
SYMBOLS = [f"S{i}" for i in range(5)]

WORKER = textwrap.dedent(
    """
    import json, random, sys, time
    from pathlib import Path
    import polars as pl
    from trade2026.lake import Lake, ingest

    mode, home, deadline, arg = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    lake = Lake(home)
    rng = random.Random()
    if mode == "ingest":
        files = sorted(Path(arg).glob("*.csv"))
        while time.time() < deadline:
            ingest(lake, [str(rng.choice(files))])
    elif mode == "prism":
        from trade2026.sim.prism import load_config, parse_agents, parse_duration_hours, simulate_runs

        agents = parse_agents("mm=2,noise=6,value=3,momentum=2")
        while time.time() < deadline:
            cfg = load_config(agents=agents, session_hours=parse_duration_hours("30m"), days=1, seed=rng.choice([1, 2, 3]))
            simulate_runs(cfg, lake=lake)
    else:  # reader: what any reader sees at any moment is a committed, duplicate-free table
        bad = []
        while time.time() < deadline:
            for table in ("bars_1d", "bars_1m_prism"):
                try:
                    if not lake.exists(table):
                        continue
                    df = lake.read(table, columns=["symbol", "ts"])
                except Exception as exc:  # a table being created can be missing for a moment, never broken
                    if "does not exist" not in str(exc) and "not found" not in str(exc).lower():
                        bad.append(f"{table}: {type(exc).__name__}: {exc}")
                    continue
                if df.is_duplicated().any():
                    bad.append(f"{table}: duplicate keys seen by a reader")
            time.sleep(0.05)
        print(json.dumps(bad))
    """
)


def _close(sym: int, day: int) -> float:
    return 100.0 + sym + day * 0.01


def _write_csvs(folder: Path) -> None:
    """Overlapping files: every (symbol, day) has the same values in every file that holds it."""
    folder.mkdir()
    start = dt.date(2020, 1, 1)
    for k in range(4):
        lines = ["date,symbol,open,high,low,close,volume"]
        for s in range(k, k + 2):
            for d in range(k * 40, k * 40 + 200):
                c = _close(s % 5, d)
                lines.append(f"{start + dt.timedelta(days=d)},S{s % 5},{c},{c + 1},{c - 1},{c},{1000 + d}")
        (folder / f"f{k}.csv").write_text("\n".join(lines) + "\n")


def _spawn(script: Path, mode: str, home: Path, deadline: float, arg: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(home), str(deadline), arg],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_writers_killers_and_readers_leave_every_table_consistent(tmp_path: Path) -> None:
    home = tmp_path / "home"
    csvs = tmp_path / "csv"
    _write_csvs(csvs)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    rng = random.Random(18)
    deadline = time.time() + CHURN_S
    writers = {name: _spawn(script, mode, home, deadline, str(csvs)) for name, mode in
               [("i1", "ingest"), ("i2", "ingest"), ("p1", "prism"), ("p2", "prism")]}  # fmt: skip
    reader = _spawn(script, "read", home, deadline, "")
    kills = 0
    while time.time() < deadline - 1.0:
        time.sleep(rng.uniform(0.4, 1.5))
        name = rng.choice(sorted(writers))
        proc = writers[name]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
        writers[name] = _spawn(script, "prism" if name.startswith("p") else "ingest", home, deadline, str(csvs))
    for proc in writers.values():
        try:
            proc.communicate(timeout=120)  # each stops at the deadline after its current write
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == []
    assert kills > 3

    lake = Lake(home)
    # every table opens at its latest committed version and reads whole
    for table in lake.tables():
        assert lake.read(table).height == lake.count(table), table

    # bars_1d: no duplicate keys, every value the one its sources hold
    bars = lake.read("bars_1d")
    assert bars.height > 0 and not bars.select("symbol", "ts").is_duplicated().any()
    day = (bars["ts"].dt.date() - dt.date(2020, 1, 1)).dt.total_days()
    want = pl.Series([_close(int(s[1:]), d) for s, d in zip(bars["symbol"], day, strict=True)])
    assert (bars["close"] - want).abs().max() < 1e-9

    # PRISM: killed runs were rolled back, so every marker row is complete and its run is the only run
    # of its symbol in every table; no table holds a symbol the marker does not name
    if lake.exists("prism_runs"):
        marker = lake.read("prism_runs")
        assert not marker["symbol"].is_duplicated().any()
        assert set(marker["status"]) == {"complete"}, marker
        named = dict(zip(marker["symbol"], marker["run_id"], strict=True))
        for table in ("ticks_prism", "bars_1m_prism", "prism_trades", "prism_quotes", "prism_agents"):
            if not lake.exists(table):
                continue
            pairs = lake.read(table, columns=["symbol", "run_id"]).unique()
            for sym, run in pairs.iter_rows():
                assert named.get(sym) == run, (table, sym, run, named)
        assert not list((home / "lake" / "_t26_txn").glob("*.json"))
        prism_bars = lake.read("bars_1m_prism", columns=["symbol", "ts"]) if lake.exists("bars_1m_prism") else None
        assert prism_bars is None or not prism_bars.is_duplicated().any()
