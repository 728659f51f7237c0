"""``t26 regime``: JSON shape, the MLflow run, and exit 2 on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest


def test_regime_json_shape(cli: Any, sample_lake: Any) -> None:
    r = cli("regime", "--json", "--probabilities", "2")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {
        "series",
        "model",
        "k_regimes",
        "order",
        "n_obs",
        "start",
        "end",
        "converged",
        "log_likelihood",
        "aic",
        "bic",
        "regimes",
        "transition",
        "current",
        "rules",
        "probabilities",
        "run_id",
    } <= set(out)
    assert out["series"] == "universe" and out["run_id"]
    assert [g["regime"] for g in out["regimes"]] == ["bear", "bull"]
    assert set(out["regimes"][0]) == {
        "regime",
        "mean",
        "vol",
        "ann_mean",
        "ann_return",
        "ann_vol",
        "expected_duration",
        "share",
    }
    assert len(out["transition"]) == 2 and len(out["probabilities"]) == 2
    assert set(out["rules"]) == {"current", "quadrants"}
    assert out["rules"]["current"]["regime"] in ("bull", "bear")


def test_regime_symbol_human(cli: Any, sample_lake: Any) -> None:
    sym = sorted(sample_lake.read("bars_1d")["symbol"].unique().to_list())[0]
    r = cli("regime", sym, "--no-track")
    assert r.exit_code == 0, r.output
    assert "Markov regime on" in r.output and "Rule-based on" in r.output


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["NOPE1"], "unknown symbol"),
        (["--k", "4"], "2 or 3"),
        (["--model", "hmm"], "model must be one of"),
        (["--start", "2015-11-01"], "too little data"),
        (["--start", "tomorrow"], "is not a date"),
    ],
)
def test_regime_bad_input_exits_2(cli: Any, sample_lake: Any, args: list[str], text: str) -> None:
    r = cli("regime", *args, "--no-track")
    assert r.exit_code == 2, r.output
    assert text in r.output


def test_json_is_the_library_report(cli: Any, sample_lake: Any) -> None:
    """A notebook calling regime_report gets exactly the CLI's --json (the MLflow run id aside)."""
    import json

    from trade2026._json import dumps
    from trade2026.screener import regime_report

    sector = sample_lake.read("symbols")["sector"][0]
    r = cli("regime", "--universe", f"sector:{sector}", "--k", "2", "--probabilities", "3", "--json", "--no-track")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out.pop("run_id") is None and out["series"] == f"universe[sector:{sector}]"
    report = regime_report(sample_lake, universe=f"sector:{sector}", k_regimes=2, probabilities=3)
    assert out == json.loads(dumps(report.to_dict()))


def test_sector_universe_index_uses_only_its_members(cli: Any, sample_lake: Any) -> None:
    import polars as pl

    from trade2026.core import equal_weight_index
    from trade2026.screener import regime_report

    meta = sample_lake.read("symbols")
    sector = meta["sector"][0]
    members = meta.filter(pl.col("sector") == sector)["symbol"].to_list()
    bars = sample_lake.read("bars_1d").filter(pl.col("symbol").is_in(members))
    report = regime_report(sample_lake, universe=f"sector:{sector.lower()}")  # sector names match in any case
    index = equal_weight_index(bars)
    assert report.rules["current"]["close"] == pytest.approx(index["close"][-1], rel=1e-12)
    r = cli("regime", "--universe", "sector:Nope", "--no-track")
    assert r.exit_code == 2 and "no sector 'Nope'" in r.output and sector in r.output
