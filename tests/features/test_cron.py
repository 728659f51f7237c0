"""Cron jobs: overlapping `t26 features build` or `t26 models predict --save` runs never corrupt a table;
nothing new exits 0 and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trade2026.features import build_features, compute_features, read_features

DEFINITION = 'name = "cron"\nindicators = ["rsi_14", "vol_21"]\nranks = ["vol_21"]\nlags = { rsi_14 = [1] }\n'
ROOT = Path(__file__).resolve().parents[2]


def _at_once(home: Path, *args: str, n: int = 2) -> list[tuple[int, str, str]]:
    """Start ``n`` ``t26 ARGS`` processes at once, wait for all (bounded): (exit code, stdout, stderr) of each."""
    env = {**os.environ, "T26_HOME": str(home), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "commands.main", *args]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        out.append((p.returncode, stdout, stderr))
    return out


def _build_processes(home: Path, source: str, n: int = 2) -> list[tuple[int, dict[str, Any]]]:
    """``n`` builds at once: (exit code, --json) of each."""
    runs = _at_once(home, "features", "build", source, "--json", "--no-track", n=n)
    return [(code, json.loads(out) if code == 0 else {"stderr": err}) for code, out, err in runs]


def _check_table(lake: Any) -> None:
    df, fs, _ = read_features(lake, "cron")
    assert df.select(pl.struct("symbol", "ts").is_duplicated().any()).item() is False
    full = compute_features(lake.read_bars("bars_1d"), fs).select(df.columns).sort("symbol", "ts")
    assert df.equals(full)


@pytest.mark.slow
def test_overlapping_builds_never_corrupt_the_table(lake: Any, small_sample: Any, home: Path, tmp_path: Path) -> None:
    from trade2026.datasets import write_sample

    write_sample(lake, small_sample)
    bars = lake.read("bars_1d")
    cuts = bars["ts"].unique().sort()[[-40, -20]].to_list()
    lake.write("bars_1d", bars.filter(pl.col("ts") < cuts[0]), mode="overwrite")
    path = tmp_path / "cron.toml"
    path.write_text(DEFINITION, encoding="utf-8")
    # two first builds at once: both succeed, one table
    runs = _build_processes(home, str(path))
    assert [code for code, _ in runs] == [0, 0], runs
    assert {r["mode"] for _, r in runs} <= {"created", "rebuilt", "incremental", "up_to_date"}
    _check_table(lake)
    # new bars arrive; two nightly runs overlap: each new row is written once
    for lo, hi in ((cuts[0], cuts[1]), (cuts[1], None)):
        new = bars.filter(pl.col("ts") >= lo) if hi is None else bars.filter((pl.col("ts") >= lo) & (pl.col("ts") < hi))
        lake.write("bars_1d", new, mode="append")
        runs = _build_processes(home, "cron")
        assert [code for code, _ in runs] == [0, 0], runs
        assert sum(r["rows_written"] for _, r in runs) >= new.height
        _check_table(lake)
    assert lake.count("features_cron") == bars.height


def test_a_job_that_finds_nothing_new_exits_0_and_says_so(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    path = tmp_path / "cron.toml"
    path.write_text(DEFINITION, encoding="utf-8")
    assert cli("features", "build", str(path), "--no-track").exit_code == 0
    res = cli("features", "build", "cron", "--json", "--no-track")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["mode"] == "up_to_date" and data["rows_written"] == 0
    assert "nothing new" in data["message"]
    human = cli("features", "build", "cron", "--no-track")
    assert human.exit_code == 0 and "up to date" in human.stdout
    assert build_features(sample_lake, "cron").mode == "up_to_date"


@pytest.mark.slow
def test_overlapping_nightly_predictions_write_one_table(sample_lake: Any, home: Path) -> None:
    from trade2026 import tracking
    from trade2026.labeling import log_metalabel_model, metalabel_bars, predict_bars

    sym = sample_lake.read("bars_1d")["symbol"].sort()[0]
    res = metalabel_bars(sample_lake, sym, model="logit")
    with tracking.start_run("metalabel") as run:
        log_metalabel_model(run, res, name="cron_meta")
    want = predict_bars(sample_lake, "cron_meta").predictions.sort("symbol", "ts")
    for _ in range(2):  # the first pair creates the table at once, the second replaces it at once
        runs = _at_once(home, "models", "predict", "cron_meta", "--save", "preds", "--json", "--no-track")
        assert [code for code, _, _ in runs] == [0, 0], runs
        got = sample_lake.read("preds").sort("symbol", "ts")
        assert got.select(pl.struct("symbol", "ts").is_duplicated().any()).item() is False
        assert got.equals(want.select(got.columns))
