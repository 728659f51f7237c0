"""The screen expression language: tokens, precedence, types and errors that point at the token."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import InputError
from trade2026.screener import ExpressionError, compile_expression, parse, tokenize
from trade2026.screener._expr import BOOL, NUM, Binary, Call, Name, Num, Unary


def _frame() -> pl.DataFrame:
    ts = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "symbol": ["A", "B", "C", "D"],
            "ts": [ts] * 4,
            "close": [10.0, 20.0, 30.0, 40.0],
            "rsi_14": [25.0, 35.0, 55.0, None],
            "sma_200": [12.0, 15.0, 31.0, 30.0],
            "regime": ["bull"] * 4,
        }
    )


def _eval(source: str) -> list:
    c = compile_expression(source)
    return _frame().select(c.expr.alias("x"))["x"].to_list()


def test_tokens_and_keywords_are_case_insensitive() -> None:
    toks = tokenize("RSI_14 < 30 AND Not close >= 1.5e2")
    assert [t.kind for t in toks] == ["name", "op", "num", "kw", "kw", "name", "op", "num", "end"]
    assert toks[7].value == 150.0
    assert tokenize("a = 1")[1].text == "=="


def test_precedence_and_chained_comparisons() -> None:
    tree = parse("1 + 2 * close > 3 and not rsi_14 < 4 or close < 1")
    assert isinstance(tree, Binary) and tree.op == "or"
    left = tree.left
    assert isinstance(left, Binary) and left.op == "and"
    assert isinstance(left.right, Unary) and left.right.op == "not"
    cmp = left.left
    assert isinstance(cmp, Binary) and cmp.op == ">"
    assert isinstance(cmp.left, Binary) and cmp.left.op == "+"
    assert isinstance(cmp.left.right, Binary) and cmp.left.right.op == "*"
    chain = parse("10 < rsi_14 < 30")
    assert isinstance(chain, Binary) and chain.op == "and"
    call = parse("zscore(-mom_252_21)")
    assert isinstance(call, Call) and isinstance(call.args[0], Unary)
    assert isinstance(parse("(close)"), Name)
    assert isinstance(parse("2"), Num)


def test_evaluation_matches_python() -> None:
    assert _eval("rsi_14 < 30 and close > sma_200 - 5") == [True, False, False, None]
    assert _eval("rsi_14 < 30 or close > 35") == [True, False, False, True]
    assert _eval("not close > 15") == [True, False, False, False]
    assert _eval("10 < close <= 30") == [False, True, True, False]
    assert _eval("(close - 10) / 10 * 2") == [0.0, 2.0, 4.0, 6.0]
    assert _eval("-close + max(close, 25)") == [15.0, 5.0, 0.0, 0.0]
    assert _eval('regime == "bull" and close = 10') == [True, False, False, False]


def test_cross_sectional_functions() -> None:
    assert _eval("rank(close)") == [1.0, 2.0, 3.0, 4.0]
    assert _eval("pct(close)") == [0.25, 0.5, 0.75, 1.0]
    z = _eval("zscore(close)")
    sd = math.sqrt(sum((x - 25) ** 2 for x in (10, 20, 30, 40)) / 3)
    assert z == pytest.approx([(x - 25) / sd for x in (10, 20, 30, 40)], rel=1e-12)
    assert _eval("demean(close)") == [-15.0, -5.0, 5.0, 15.0]
    # nulls are left out of the cross-section
    assert _eval("rank(rsi_14)") == [1.0, 2.0, 3.0, None]
    assert compile_expression("zscore(close)").cross_sectional


def test_collects_indicators_and_market_columns() -> None:
    c = compile_expression('rsi_14 < 30 and close > sma_200 and regime == "bull" and rsi_14 > 5')
    assert c.kind == BOOL
    assert c.indicators == ["rsi_14", "sma_200"]
    assert c.market == ["regime"]
    assert compile_expression("0.5*zscore(mom_252_21) - 0.5*zscore(vol_63)", want=NUM).indicators == [
        "mom_252_21",
        "vol_63",
    ]


@pytest.mark.parametrize(
    ("source", "pieces"),
    [
        ("rsi_14 < 30 and clse > sma_200", ["unknown name 'clse'", "position 17", "^^^^", "did you mean: close"]),
        ("rsii_14 < 30", ["unknown name 'rsii_14'", "rsi_14"]),
        ("sma200 > close", ["sma_200"]),
        ("rsi_14 <", ["ends too early"]),
        ("rsi_14 && close", ["unexpected character '&'", "and / or / not"]),
        ("(rsi_14 < 30", ["expected ')'"]),
        ("rsi_14 30", ["unexpected '30'", "operator"]),
        ("close > 1)", ["no matching ("]),
        ("zscor(mom_252)", ["unknown function 'zscor'", "zscore"]),
        ('regime == "bul"', ["never 'bul'", "'bull'"]),
        ("rsi_14 and close > 3", ["must be a condition", "rsi_14 < 30"]),
        ('close > "x"', ["cannot compare"]),
        ('regime < "bull"', ["only be compared with == or !="]),
        ("rank(close, 2)", ["takes one argument"]),
        ("max(close)", ["at least two"]),
        ("zscore > 1", ["is a function"]),
        ("rsi_0 > 1", ["between"]),
        ("", ["empty"]),
        ("close > 5%", ["unexpected character '%'", "0.05"]),
        ("close > ,", ["expected a value"]),
        ("close > and", ["keyword 'and'"]),
    ],
)
def test_errors_point_at_the_token(source: str, pieces: list[str]) -> None:
    with pytest.raises(ExpressionError) as err:
        compile_expression(source)
    text = str(err.value)
    for p in pieces:
        assert p in text, text
    assert isinstance(err.value, InputError)  # exit code 2 in the CLI


def test_caret_sits_under_the_token() -> None:
    with pytest.raises(ExpressionError) as err:
        compile_expression("close > sma_200 and foo_3 < 1")
    lines = str(err.value).splitlines()
    src, caret = lines[1], lines[2]
    start = caret.index("^")
    assert src[start : start + len("foo_3")] == "foo_3"
    assert caret.count("^") == len("foo_3")


def test_wanted_kind_is_enforced() -> None:
    with pytest.raises(ExpressionError, match="must be a condition"):
        compile_expression("rsi_14 + 1", want=BOOL)
    with pytest.raises(ExpressionError, match="a score is arithmetic"):
        compile_expression("rsi_14 > 1", want=NUM)


_ops = st.sampled_from(["+", "-", "*"])
_leaf = st.one_of(st.sampled_from(["close", "rsi_14", "sma_200"]), st.integers(0, 99).map(str))


@st.composite
def _arith(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(_leaf)
    return f"({draw(_arith(depth - 1))} {draw(_ops)} {draw(_arith(depth - 1))})"


@settings(max_examples=60, deadline=None)
@given(_arith())
def test_arithmetic_agrees_with_python(source: str) -> None:
    """Random arithmetic over columns: the compiled expression equals Python's own evaluation."""
    frame = _frame().head(3)
    got = frame.with_columns(compile_expression(source).expr.alias("x"))["x"].to_list()
    for row, value in zip(frame.iter_rows(named=True), got, strict=True):
        env = {"close": row["close"], "rsi_14": row["rsi_14"], "sma_200": row["sma_200"]}
        want = eval(source, {"__builtins__": {}}, env)  # the oracle only; the library never evals
        assert value == pytest.approx(want, rel=1e-12, abs=1e-9)
