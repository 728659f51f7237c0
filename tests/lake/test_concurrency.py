"""Concurrent writers and killed writers (subprocesses, real files)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trade2026.lake import Lake

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent(
    """
    import sys, time, datetime as dt
    import polars as pl
    from trade2026.lake import Lake, ingest
    home, csv, go = sys.argv[1], sys.argv[2], float(sys.argv[3])
    while time.time() < go:
        time.sleep(0.001)
    res = ingest(Lake(home), [csv])
    print(res.inserted, res.updated, flush=True)
    """
)


def make_csv(path: Path, symbol: str, n: int) -> Path:
    lines = ["date,symbol,open,high,low,close,volume"]
    for i in range(n):
        day = f"{2000 + i // 365:04d}-01-01"
        lines.append(f"{day},{symbol}{i % 365},10,11,9,10.5,100")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_two_ingest_processes_at_once_both_succeed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a = make_csv(tmp_path / "a.csv", "A", 3000)
    b = make_csv(tmp_path / "b.csv", "B", 2000)
    script = tmp_path / "w.py"
    script.write_text(WRITER)
    for round_ in range(2):  # first round races on creating the table, second on merging into it
        go = time.time() + 4.0
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(home), str(f), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in (a, b)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (_out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err
        inserted = sorted(int(o.split()[0]) for o, _ in outs)
        assert inserted == ([2000, 3000] if round_ == 0 else [0, 0])
        assert Lake(home).count("bars_1d") == 5000


KILLED = textwrap.dedent(
    """
    import sys
    import numpy as np, polars as pl
    from trade2026.lake import Lake
    lake = Lake(sys.argv[1])
    n = 2_000_000
    i = 0
    while True:
        df = pl.DataFrame({"k": np.arange(i * n, (i + 1) * n), "v": np.random.default_rng(i).random(n)})
        lake.write("big", df, mode="append")
        print("committed", i, flush=True)
        i += 1
    """
)


def test_sigkilled_writer_leaves_last_committed_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = tmp_path / "k.py"
    script.write_text(KILLED)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(home)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the first batch is committed
    assert line.startswith("committed 0"), proc.stderr.read() if proc.stderr else ""
    time.sleep(0.35)  # part-way through writing a later batch
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    if proc.stderr is not None:
        proc.stderr.close()
    lake = Lake(home)
    versions = lake.history("big")
    latest = versions[0]["version"]
    count = lake.count("big")
    assert count == (latest + 1) * 2_000_000  # only whole committed batches
    keys = lake.read("big", columns=["k"])["k"]
    assert keys.n_unique() == count and keys.min() == 0 and keys.max() == count - 1  # nothing lost


def test_racing_creators_of_one_new_table_never_duplicate_keys(tmp_path: Path) -> None:
    """Reproduction (issue 18): two ingests of the same file into a home without bars_1d both
    committed "WRITE ErrorIfExists" (v0 and v1), duplicating every (symbol, ts). Bounded: 6 races."""
    f = make_csv(tmp_path / "same.csv", "S", 400)
    script = tmp_path / "w.py"
    script.write_text(WRITER)
    for trial in range(6):
        home = tmp_path / f"home{trial}"
        go = time.time() + 3.0
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(home), str(f), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for p in procs:
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        bars = Lake(home).read("bars_1d")
        assert bars.height == 400, f"trial {trial}: {bars.height} rows for 400 keys"
        assert not bars.select(["symbol", "ts"]).is_duplicated().any()


def test_sample_ownership_check_holds_at_commit_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reproduction (issue 18): `t26 data sample` checked ownership, then wrote; an ingest landing in
    between was overwritten. The guarded overwrite commits against the checked version only."""
    import datetime as dt

    import deltalake
    import polars as pl

    from trade2026.errors import InputError

    lake = Lake(tmp_path / "home")
    ts = [dt.datetime(2024, 1, d, tzinfo=dt.UTC) for d in (1, 2)]
    ours = pl.DataFrame({"symbol": ["SAMPLE"] * 2, "ts": ts, "close": [1.0, 2.0]})
    mine = pl.DataFrame({"symbol": ["MINE"], "ts": ts[:1], "close": [9.0]})
    lake.write("bars", ours, mode="overwrite", source="sample")
    real = deltalake.write_deltalake
    raced = {"n": 0}

    def ingest_lands_first(target, data, **kw):  # the concurrent ingest commits between check and commit
        if isinstance(target, deltalake.DeltaTable) and not raced["n"]:
            raced["n"] += 1
            real(lake.path("bars"), mine.to_arrow(), mode="append")
        return real(target, data, **kw)

    monkeypatch.setattr(deltalake, "write_deltalake", ingest_lands_first)
    with pytest.raises(InputError, match="holds data sample did not write") as info:
        lake.write("bars", ours, mode="overwrite", source="sample", guard_source="sample")
    assert raced["n"] == 1 and info.value.option == "force"
    assert "MINE" in lake.read("bars")["symbol"].to_list()  # the ingest's rows survived
