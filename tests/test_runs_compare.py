"""Run ids by unique prefix, runs compared side by side, and run durations that cover the work."""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trade2026 import tracking
from trade2026.config import load_settings
from trade2026.errors import InputError, NotFoundError


def _runs(n: int) -> list[str]:
    s = load_settings()
    ids = []
    for i in range(n):
        with tracking.start_run(f"r{i}", settings=s) as run:
            run.log_metrics({"sharpe": float(i)})
        ids.append(run.run_id)
    return ids


def test_unique_prefixes_resolve_and_ambiguous_ones_list_the_candidates(home: Path, cli: Any) -> None:
    ids = _runs(17)  # 17 ids over 16 hex digits: two share a first character
    first = collections.Counter(i[0] for i in ids)
    shared = next(c for c, k in first.items() if k > 1)
    with pytest.raises(InputError) as err:
        tracking.resolve_run_id(shared)
    for i in ids:
        assert (i in str(err.value)) == i.startswith(shared)
    unique = ids[0][:12]
    assert tracking.resolve_run_id(unique) == ids[0]
    assert tracking.get_run(unique)["run_id"] == ids[0]
    with pytest.raises(NotFoundError, match="t26 runs ls"):
        tracking.resolve_run_id("zz")
    r = cli("runs", "show", unique, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["run_id"] == ids[0]
    r = cli("runs", "show", shared)
    assert r.exit_code == 2 and "matches" in r.stderr and "give more characters" in r.stderr


def test_start_time_dates_the_run_from_when_the_work_began(home: Path) -> None:
    began = time.time() - 120.0  # the work started two minutes before the run was opened
    with tracking.start_run("late", settings=load_settings(), start_time=began) as run:
        pass
    row = tracking.get_run(run.run_id)
    assert row["start"].timestamp() == pytest.approx(began, abs=0.002)
    assert row["duration_s"] >= 120.0


def test_compare_metrics_side_by_side_and_equity_of_logged_returns(home: Path, cli: Any, tmp_path: Path) -> None:
    import datetime as dt

    s = load_settings()
    ts = [dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(60)]
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.001, 0.01, 60), rng.normal(0.0, 0.02, 60)
    with tracking.start_run("one", settings=s, params={"fast": 5}) as r1:
        r1.log_metrics({"sharpe": 1.0, "cagr": 0.1})
        r1.log_returns(ts, {"strategy": a})
    with tracking.start_run("two", settings=s, params={"fast": 9, "slow": 50}) as r2:
        r2.log_metrics({"sharpe": 0.5})
        r2.log_returns(ts, {"x": b, "y": -b})
    with tracking.start_run("three", settings=s) as r3:
        r3.log_metrics({"cagr": 0.2})
    cmp = tracking.compare_runs([r1.run_id[:10], r2.run_id, r3.run_id], s)
    assert [r["run_id"] for r in cmp.runs] == [r1.run_id, r2.run_id, r3.run_id]
    rows = {r["metric"]: r for r in cmp.metrics}
    assert rows["sharpe"] == {"metric": "sharpe", r1.run_id: 1.0, r2.run_id: 0.5, r3.run_id: None}
    assert rows["cagr"][r3.run_id] == 0.2
    params = {r["param"]: r for r in cmp.params}
    assert params["slow"][r1.run_id] is None and params["fast"][r2.run_id] == "9"
    perf = {(r["run_id"], r["series"]): r for r in cmp.performance()}
    assert set(perf) == {(r1.run_id, "strategy"), (r2.run_id, "x"), (r2.run_id, "y")}
    assert perf[(r1.run_id, "strategy")]["total_return"] == pytest.approx(np.prod(1 + a) - 1, rel=1e-12)
    out = tmp_path / "cmp.html"
    r = cli("runs", "compare", r1.run_id[:8], r2.run_id[:8], r3.run_id[:8], "--report", str(out), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["report"] == str(out) and (tmp_path / "cmp_equity.png").exists()
    assert [x["run_id"] for x in data["runs"]] == [r1.run_id, r2.run_id, r3.run_id]
    from trade2026._json import dumps

    lib = json.loads(dumps(cmp.to_dict()))
    data.pop("report")
    assert data == lib  # a notebook gets the CLI's --json
    page = out.read_text()
    assert "Cumulative return and drawdown" in page and "one " + r1.run_id[:8] in page
    for bad in ([r1.run_id], [r1.run_id, r1.run_id[:9]]):
        r = cli("runs", "compare", *bad)
        assert r.exit_code == 2


def test_a_command_run_is_dated_from_the_command_start(home: Path) -> None:
    """The reproduction: a two-minute `sim mc` logged duration_s 0.08 (its run opened after the work)."""
    from commands._cli import Ctx

    ctx = Ctx(started=time.time() - 120.0)
    with ctx.tracking_run("late") as run:
        pass
    assert tracking.get_run(run.run_id)["duration_s"] >= 120.0
