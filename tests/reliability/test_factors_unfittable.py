"""A style model that cannot be fitted exits 2 saying why, before anything is written (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trade2026.errors import DataError
from trade2026.factors import style_report
from trade2026.lake import Lake


def test_style_on_too_small_a_universe_exits_2_and_writes_nothing(cli: Any, sample_lake: Lake) -> None:
    """The reproduction: 8 symbols, 7 styles and 6 sectors overwrote factor_returns and specific_returns
    with 0 rows, logged a FINISHED run and exited 1."""
    r = cli("factors", "style")
    assert r.exit_code == 2, r.output
    assert "cannot be fitted" in r.output and "8 symbols" in r.output and "14 factors" in r.output
    for table in ("factor_returns", "specific_returns", "style_exposures", "factor_covariance", "specific_risk"):
        assert not sample_lake.exists(table), table


def test_a_failed_refit_keeps_the_last_good_fit(cli: Any, sample_lake: Lake) -> None:
    r = cli("factors", "style", "--factors", "beta,momentum", "--no-sectors", "--no-track", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["days"] > 0
    before = {t: sample_lake.info(t)["version"] for t in ("factor_returns", "specific_returns")}
    rows = sample_lake.count("factor_returns")
    r = cli("factors", "style", "--no-track")
    assert r.exit_code == 2, r.output
    assert {t: sample_lake.info(t)["version"] for t in before} == before
    assert sample_lake.count("factor_returns") == rows > 0


@pytest.mark.parametrize(
    ("symbols", "factors", "sectors"),
    [(3, ["beta", "momentum", "volatility"], False), (2, ["beta"], False), (5, ["beta", "momentum"], True)],
)
def test_the_library_says_symbols_versus_factors(
    sample_lake: Lake, symbols: int, factors: list[str], sectors: bool
) -> None:
    universe = sorted(sample_lake.read("symbols")["symbol"].to_list())[:symbols]
    try:
        report = style_report(sample_lake, universe=universe, factors=factors, sectors=sectors)
    except DataError as exc:
        assert "cannot be fitted" in str(exc) and f"{symbols} symbols" in str(exc)
    else:  # a model that fits has regression days and finite factor returns
        assert report.result.summary["days"] > 0 and report.result.factor_returns.height > 0
