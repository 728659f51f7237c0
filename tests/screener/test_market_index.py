"""The equal-weight universe index (trade2026.core.equal_weight_index) against an independent loop."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.core import equal_weight_index, equal_weight_returns
from trade2026.screener import market_index


def _loop_index(rows: list[tuple[str, int, float]]) -> list[float]:
    """Day by day: the mean return of the symbols with a close today and on the previous date."""
    days = sorted({d for _, d, _ in rows})
    close = {(s, d): c for s, d, c in rows}
    symbols = sorted({s for s, _, _ in rows})
    level, out = 1.0, [1.0]
    for prev, day in itertools.pairwise(days):
        rets = [close[s, day] / close[s, prev] - 1.0 for s in symbols if (s, day) in close and (s, prev) in close]
        level *= 1.0 + (sum(rets) / len(rets) if rets else 0.0)
        out.append(level)
    return out


def _frame(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "symbol": [s for s, _, _ in rows],
            "ts": [t0 + dt.timedelta(days=d) for _, d, _ in rows],
            "close": [c for _, _, c in rows],
        }
    )


@settings(max_examples=60)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("ABCD"), st.integers(0, 12)), st.floats(1.0, 200.0), min_size=1, max_size=40
    )
)
def test_matches_a_loop_with_listings_gaps_and_delistings(cells: dict) -> None:
    rows = [(s, d, c) for (s, d), c in sorted(cells.items())]
    got = equal_weight_index(_frame(rows))
    assert got["ts"].is_sorted() and got.height == len({d for _, d, _ in rows})
    assert got["close"].to_list() == pytest.approx(_loop_index(rows), rel=1e-12)


def test_screener_market_index_is_the_core_index_and_pandas_round_trips() -> None:
    rows = [("A", 0, 10.0), ("A", 1, 11.0), ("B", 1, 50.0), ("B", 2, 40.0), ("A", 3, 11.0), ("B", 3, 44.0)]
    bars = _frame(rows)
    idx = market_index(bars)
    # day 1: only A has two closes (+10%); day 2: only B (-20%); day 3: B (+10%), A has no close on day 2.
    assert idx["close"].to_list() == pytest.approx([1.0, 1.1, 0.88, 0.968])
    assert idx.equals(equal_weight_index(bars))
    pdf = equal_weight_index(bars.to_pandas())
    assert isinstance(pdf, pd.DataFrame) and pdf["close"].tolist() == pytest.approx(idx["close"].to_list())


def test_equal_weight_returns_skips_missing_entries() -> None:
    r = np.array([[0.1, np.nan, 0.3], [np.nan, np.nan, np.nan], [-0.2, 0.2, 0.0]])
    got = equal_weight_returns(r)
    assert got[0] == pytest.approx(0.2) and np.isnan(got[1]) and got[2] == pytest.approx(0.0)
