"""parse_weights: the one reader of weights given as text, a file, 'latest' or 'equal'."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from trade2026.errors import ConfigError, InputError, NotFoundError
from trade2026.portfolio import parse_pairs, parse_weights


def test_pairs_files_and_mappings(tmp_path: Path) -> None:
    assert parse_weights(" AAA=0.6, BBB=-0.1 ,CCC=0.5") == {"AAA": 0.6, "BBB": -0.1, "CCC": 0.5}
    plain = tmp_path / "w.json"
    plain.write_text(json.dumps({"AAA": 1}))
    nested = tmp_path / "out.JSON"  # what `t26 portfolio optimize --json` prints: weights under "weights"
    nested.write_text(json.dumps({"method": "hrp", "weights": {"AAA": 0.25, "BBB": 0.75}}))
    assert parse_weights(plain) == {"AAA": 1.0}
    assert parse_weights(str(nested)) == {"AAA": 0.25, "BBB": 0.75}
    assert parse_weights({"AAA": 1}) == {"AAA": 1.0}
    assert parse_weights("equal", universe=["A", "B", "C", "D"]) == {s: 0.25 for s in "ABCD"}
    assert parse_pairs("Tech=0.3,Energy=0.1") == {"Tech": 0.3, "Energy": 0.1}
    assert parse_pairs(None) == {}


@pytest.mark.parametrize(
    ("spec", "kw", "error", "text"),
    [
        ("bad", {}, InputError, "bad current entry 'bad'; use SYM=WEIGHT"),
        ("AAA=x", {}, InputError, "SYM=WEIGHT"),
        (" , ", {}, InputError, "current is empty"),
        ("missing.json", {}, InputError, "does not exist"),
        ("equal", {}, ConfigError, "needs the universe"),
        ("latest", {}, ConfigError, "pass lake="),
        ({"AAA": "x"}, {}, InputError, "map symbols to numbers"),
    ],
)
def test_bad_weights_name_the_parameter(spec: object, kw: dict, error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        parse_weights(spec, what="current", **kw)  # type: ignore[arg-type]


def test_bad_json_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        parse_weights(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(InputError, match="object symbol -> weight"):
        parse_weights(listed)
    with pytest.raises(InputError, match="bad group_max entry 'Tech'"):
        parse_pairs("Tech", what="group_max")


def test_latest_is_the_last_portfolio_written(lake) -> None:
    with pytest.raises(NotFoundError, match="portfolio_weights"):
        parse_weights("latest", lake=lake)
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = pl.DataFrame(
        {
            "portfolio_id": ["old", "old", "new"],
            "created_at": [t0, t0, t0 + dt.timedelta(hours=1)],
            "symbol": ["AAA", "BBB", "CCC"],
            "weight": [0.5, 0.5, 1.0],
        }
    )
    lake.write("portfolio_weights", rows.sample(fraction=1.0, shuffle=True, seed=1), mode="append")
    assert parse_weights("latest", lake=lake) == {"CCC": 1.0}
