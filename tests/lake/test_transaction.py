"""Lake.transaction: several tables' rows of one key replaced all-or-nothing (issue 18)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.lake import Lake


def _rows(sym: str, n: int, v: float) -> pl.DataFrame:
    return pl.DataFrame({"symbol": [sym] * n, "i": list(range(n)), "v": [v] * n})


def _state(lake: Lake) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(lake.read(t).rows()) for t in ("a", "b") if lake.exists(t)}


def test_a_failed_transaction_restores_its_rows_and_keeps_other_writers_rows(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    for t in ("a", "b"):
        lake.write(t, pl.concat([_rows("X", 3, 1.0), _rows("Y", 2, 1.0)]))
    before_x = {t: sorted(lake.read(t, filters=[("symbol", "=", "X")]).rows()) for t in ("a", "b")}
    pred = "symbol IN ('X')"
    txn = lake.transaction("t", tables=["a", "b", "c"], predicate=pred, keys=["X"])
    with pytest.raises(RuntimeError, match="boom"), txn:
        lake.write("a", _rows("X", 5, 2.0), mode="overwrite", replace_where=pred)
        lake.write("c", _rows("X", 1, 2.0))  # a table the transaction creates
        # another key's writer commits in the middle: its rows must survive the rollback
        lake.write("b", _rows("Y", 4, 3.0), mode="overwrite", replace_where="symbol IN ('Y')")
        raise RuntimeError("boom")
    for t in ("a", "b"):
        assert sorted(lake.read(t, filters=[("symbol", "=", "X")]).rows()) == before_x[t]
    assert sorted(lake.read("b", filters=[("symbol", "=", "Y")]).rows()) == sorted(_rows("Y", 4, 3.0).rows())
    assert lake.read("c").height == 0
    assert not list((tmp_path / "lake" / "_t26_txn").glob("*.json"))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("XYZ"), st.integers(1, 4), st.booleans()), min_size=1, max_size=5))
def test_committed_transactions_apply_and_failed_ones_leave_no_trace(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, bool]]
) -> None:
    lake = Lake(tmp_path_factory.mktemp("txn"))
    expected: dict[str, pl.DataFrame] = {}
    for k, (sym, n, fail) in enumerate(steps):
        pred = f"symbol IN ('{sym}')"
        new = _rows(sym, n, float(k))
        try:
            with lake.transaction("t", tables=["a", "b"], predicate=pred, keys=[sym]):
                for t in ("a", "b"):
                    if lake.exists(t):
                        lake.write(t, new, mode="overwrite", replace_where=pred)
                    else:
                        lake.write(t, new)
                    if fail:
                        raise KeyboardInterrupt  # not an Exception: rolled back all the same
        except KeyboardInterrupt:
            pass
        if not fail:
            expected[sym] = new
    want = sorted(pl.concat(list(expected.values())).rows()) if expected else []
    for t in ("a", "b"):
        got = sorted(lake.read(t).rows()) if lake.exists(t) else []
        assert got == want, t
