"""``t26 serve``: backtest parity through the CLI, the notebook equality, errors, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026._json import clean, dumps
from trade2026.backtest import make_config, run_backtest, strategy_positions

SPEC = "sma_cross:fast=20,slow=50"


def _symbols(lake: Any, n: int) -> list[str]:
    return sorted(lake.read("bars_1d")["symbol"].unique().to_list())[:n]


def test_paper_serve_gives_the_backtest_fills_positions_and_equity(cli: Any, sample_lake: Any) -> None:
    syms = _symbols(sample_lake, 2)
    args = ["--venue", "paper", "--replay", "bars_1d", "--symbols", ",".join(syms), "--commission-bps", "2"]
    r = cli("serve", "--strategy", SPEC, *args, "--run-id", "t1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    bars = sample_lake.read_bars("bars_1d", symbols=syms)
    bt = run_backtest(bars, strategy_positions(SPEC, bars), mode="portfolio", commission_bps=2.0)
    fills = sample_lake.read("live_fills").filter(pl.col("run_id") == "t1").sort("seq")
    assert fills.height == bt.fills.height == out["fills"] > 0
    np.testing.assert_allclose(fills["qty"].to_numpy(), bt.fills["qty"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fills["price"].to_numpy(), bt.fills["price"].to_numpy(), rtol=1e-12)
    assert out["equity"] == pytest.approx(bt.equity["equity"][-1], rel=1e-12)
    pnl = sample_lake.read("live_pnl").filter(pl.col("run_id") == "t1").sort("ts")
    np.testing.assert_allclose(pnl["equity"].to_numpy(), bt.equity["equity"].to_numpy(), rtol=1e-12)
    held = {p["symbol"]: p["qty"] for p in out["positions"]}
    for (sym,), part in bt.fills.group_by(["symbol"]):
        assert held.get(sym, 0.0) == pytest.approx(part["qty"].sum(), rel=1e-12, abs=1e-9)
    assert out["state"] == "active" and out["reconciliation"]["differences"] == []


def test_notebook_gets_the_cli_json(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    from trade2026.live import serve

    syms = _symbols(sample_lake, 1)
    r = cli("serve", "--strategy", SPEC, "--symbols", syms[0], "--run-id", "nb", "--json")
    assert r.exit_code == 0, r.output
    cfg = make_config(mode="portfolio")
    res = serve(SPEC, lake=sample_lake, home=tmp_path / "other", symbols=syms, config=cfg, run_id="nb")
    mine = json.loads(dumps(clean(res.to_dict())))
    theirs = json.loads(r.stdout)
    mine.pop("run_dir")
    theirs.pop("run_dir")
    assert mine == theirs


def test_bad_risk_file_and_unknown_venue_exit_2_naming_them(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    bad = tmp_path / "risk.toml"
    bad.write_text("max_order_qty = 'lots'\n")
    r = cli("serve", "--strategy", SPEC, "--risk", str(bad))
    assert r.exit_code == 2 and "risk.toml" in r.stderr
    r = cli("serve", "--strategy", SPEC, "--venue", "nasdaq")
    assert r.exit_code == 2 and "nasdaq" in r.stderr
    r = cli("serve", "--strategy", "signal:pred")
    assert r.exit_code == 2 and "--signal-table" in r.stderr
    r = cli("serve", "--strategy", SPEC, "--venue", "ccxt:binance")  # checked before any network call
    assert r.exit_code == 2 and "BASE/QUOTE" in r.stderr


def test_a_used_run_id_is_refused(cli: Any, sample_lake: Any) -> None:
    syms = _symbols(sample_lake, 1)
    assert cli("serve", "--strategy", SPEC, "--symbols", syms[0], "--run-id", "r1", "--no-lake").exit_code == 0
    r = cli("serve", "--strategy", SPEC, "--symbols", syms[0], "--run-id", "r1", "--no-lake")
    assert r.exit_code == 2 and "already has a journal" in r.stderr


def test_runs_with_the_default_id_in_one_second_get_their_own_journals(
    cli: Any, sample_lake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default id is the UTC second: a second run within it was refused ("already has a journal")."""
    import trade2026.live._serve as serve_mod

    monkeypatch.setattr(serve_mod, "default_run_id", lambda venue: "paper20261201T120000")  # a frozen clock
    syms = _symbols(sample_lake, 1)
    ids = []
    for _ in range(3):
        r = cli("serve", "--strategy", SPEC, "--symbols", syms[0], "--no-lake", "--json")
        assert r.exit_code == 0, r.output
        ids.append(json.loads(r.stdout)["run_id"])
    assert ids == ["paper20261201T120000", "paper20261201T120000_2", "paper20261201T120000_3"]


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_a_summary(sample_lake: Any, home: Path) -> None:
    syms = _symbols(sample_lake, 1)
    env = {**os.environ, "T26_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "commands.main", "serve", "--strategy", SPEC, "--symbols", syms[0]]
    p = subprocess.Popen([*cmd, "--speed", "100", "--run-id", "sig", "--json"], env=env, stdout=subprocess.PIPE)
    journal = home / "live" / "sig" / "journal.log"
    deadline = time.monotonic() + 60
    while not journal.exists() and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0
    summary = json.loads(out)
    assert summary["stopped_early"] is True
    assert 0 < summary["bars"] < sample_lake.read_bars("bars_1d", symbols=syms).height
