"""Bad input exits 2 with a message, never 1 "unexpected failure" (issue 18).

The first case is the issue's reproduction; the rest are its list, then hypothesis fuzzing of every
config reader and the expression parser: each input is either accepted or refused with an InputError.
"""

from __future__ import annotations

import contextlib
import gzip
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import InputError
from trade2026.lake import Lake


def test_an_unknown_method_parameter_value_exits_2(cli: Any, sample_lake: Lake) -> None:
    """The reproduction: ``t26 portfolio optimize -p linkage=bogus`` exited 1 "unexpected failure"."""
    r = cli("portfolio", "optimize", "-p", "linkage=bogus", "--no-track")
    assert r.exit_code == 2, r.output
    assert "linkage must be one of" in r.output and "--param" in r.output
    assert not sample_lake.exists("portfolio_weights")


VIEWS = {
    "wrong type": '[[views]]\nasset = "{a}"\nreturn = "high"\n',
    "nan": '[[views]]\nasset = "{a}"\nreturn = nan\n',
    "inf confidence": '[[views]]\nasset = "{a}"\nreturn = 0.1\nconfidence = inf\n',
    "not a table": "views = [1, 2]\n",
    "singular": '[[views]]\nasset = "{a}"\nreturn = 0.1\n[[views]]\nasset = "{a}"\nreturn = 0.2\n',
    "legs cancel": '[[views]]\nlong = ["{a}"]\nshort = ["{a}"]\nreturn = 0.1\n',
}


@pytest.mark.parametrize("case", [*VIEWS, "directory"])
def test_malformed_black_litterman_views_exit_2(cli: Any, sample_lake: Lake, tmp_path: Path, case: str) -> None:
    a = sorted(sample_lake.read("symbols")["symbol"].to_list())[0]
    path = tmp_path / "views"
    if case == "directory":
        path.mkdir()
    else:
        path = tmp_path / "views.toml"
        path.write_text(VIEWS[case].format(a=a))
    r = cli("portfolio", "optimize", "-m", "black_litterman", "-p", f"views={path}", "--no-track")
    assert r.exit_code == 2, r.output
    assert "unexpected failure" not in r.output


PRISM_TOMLS = {
    "wrong type": ('[agents]\nmm = "x"\n', "wrong type"),
    "nan rate": ("[noise]\nrate = nan\n", "finite"),
    "inf size": ("[value]\nsize = inf\n", "value.size"),
    "probability": ("[noise]\np_market = 1.5\n", "probability"),
    "negative probability": ("[value]\np_aggressive = -0.1\n", "probability"),
    "fundamental not a table": ("fundamental = 3\n", "must be a table"),
    "negative seed": ("seed = -4\n", "seed"),
}


@pytest.mark.parametrize("case", list(PRISM_TOMLS))
def test_malformed_prism_toml_exits_2(cli: Any, tmp_path: Path, case: str) -> None:
    text, needle = PRISM_TOMLS[case]
    (tmp_path / "prism.toml").write_text(text)
    r = cli("sim", "prism", "--config", str(tmp_path / "prism.toml"), "--days", "1", "--no-track", "--no-write")
    assert r.exit_code == 2, r.output
    assert needle in r.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["sim", "prism", "--config", "."], "is a directory"),
        (["sim", "prism", "--seed", "-1", "--days", "1"], "seed"),
        (["sim", "prism", "--seeds", "-3,4", "--days", "1"], "seeds"),
        (["factors", "fmb", "--lags", "-1"], "lags"),
        (["screen", ""], "empty"),
        (["screen", "close > 0", "--date", "2099-01-01"], "data ends on"),
        (["screen", "(" * 300 + "close" + ")" * 300 + " > 1"], "nests deeper"),
        (["screen", " + ".join(["close"] * 400) + " > 1"], "operations deep"),
    ],
)
def test_bad_options_exit_2(cli: Any, sample_lake: Lake, args: list[str], needle: str) -> None:
    extra = ["--no-write"] if args[:2] == ["sim", "prism"] else []
    r = cli(*args, *extra, "--no-track")
    assert r.exit_code == 2, r.output
    assert needle in r.output


def test_mc_plot_into_a_directory_exits_2_and_a_bare_name_reports_the_png(cli: Any, sample_lake: Lake) -> None:
    import json

    a = sorted(sample_lake.read("symbols")["symbol"].to_list())[0]
    common = ["sim", "mc", "--strategy", "sma_cross:fast=5,slow=20", "--symbol", a, "--paths", "20"]
    common += ["--methods", "bootstrap", "--no-track"]
    Path("plots").mkdir()
    r = cli(*common, "--plot", "plots")
    assert r.exit_code == 2 and "directory" in r.output, r.output
    r = cli(*common, "--plot", "dist")
    assert r.exit_code == 0, r.output
    assert Path("dist.png").is_file() and "dist.png" in r.output
    assert json.loads(cli(*common, "--plot", "d2", "--json").stdout)["methods"]


def test_a_gzip_csv_is_read_not_blamed_on_the_encoding(cli: Any, lake: Lake, tmp_path: Path) -> None:
    text = "date,symbol,open,high,low,close,volume\n2024-01-02,AAA,10,11,9,10.5,100\n2024-01-03,AAA,10,11,9,10.6,100\n"
    path = tmp_path / "prices.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    r = cli("data", "ingest", str(path))
    assert r.exit_code == 0, r.output
    assert lake.read("bars_1d")["close"].to_list() == [10.5, 10.6]
    path.write_bytes(gzip.compress(text.encode())[:20])
    r = cli("data", "ingest", str(path))
    assert r.exit_code == 2 and "damaged" in r.output and "latin-1" not in r.output, r.output


# -- fuzzing -------------------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.dates(),
)
VALUES = st.recursive(SCALARS.filter(lambda v: v is not None), lambda c: st.lists(c, max_size=3), max_leaves=4)
KEYS = st.sampled_from(
    ["seed", "days", "session_hours", "tick_size", "initial_price", "symbol", "start", "depth_levels", "snapshot_s",
     "agents", "fundamental", "mm", "noise", "value", "momentum", "rate", "size", "p_market", "bogus"]
)  # fmt: skip


def _mapping(depth: int = 2) -> Any:
    inner = st.dictionaries(
        st.sampled_from(["mm", "noise", "rate", "size", "p_market", "p_cancel", "sigma_daily", "levels", "x"]),
        VALUES,
        max_size=3,
    )
    return st.dictionaries(KEYS, st.one_of(VALUES, inner), max_size=4)


@settings(max_examples=300)
@given(_mapping())
def test_fuzz_prism_config(data: dict[str, Any]) -> None:
    from trade2026.sim.prism import config_from_mapping

    try:
        cfg = config_from_mapping(data).validate()
    except InputError:
        return
    assert cfg.days > 0 and cfg.seed >= 0 and math.isfinite(cfg.session_hours)
    for p in cfg.params.values():
        assert 0 <= p.p_market <= 1 and 0 <= p.p_cancel <= 1 and 0 <= p.p_aggressive <= 1
        assert math.isfinite(p.rate) and p.rate > 0


SOURCE_KEYS = st.sampled_from(
    ["kind", "path", "table", "columns", "symbol", "tz", "date_format", "delimiter", "encoding", "symbols", "start",
     "end", "interval", "years", "seed", "intraday_days", "nope"]
)  # fmt: skip


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            st.dictionaries(SOURCE_KEYS, st.one_of(VALUES, st.dictionaries(st.text(max_size=3), VALUES, max_size=2))),
            st.fixed_dictionaries(
                {"kind": st.sampled_from(["files", "sample", "yfinance"])},
                optional={"tz": st.text(max_size=12), "table": st.text(max_size=8), "path": VALUES},
            ),
            VALUES,
        ),
        max_size=3,
    )
)
def test_fuzz_recipes(sources: list[Any]) -> None:
    from trade2026.datasets._recipes import check_recipe

    try:
        check_recipe({"name": "fuzz", "sources": sources})
    except InputError:
        return
    assert sources and all(isinstance(s, dict) and s["kind"] in ("sample", "files", "yfinance") for s in sources)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_fuzz_screens_file(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    from trade2026.screener._saved import load_screens

    path = tmp_path_factory.mktemp("screens") / "screens.toml"
    path.write_text("[screens.a]\n" + text, encoding="utf-8")
    try:
        screens = load_screens(path)
    except InputError:
        return
    assert all(s.condition or s.rank for s in screens.values())


TOKENS = st.sampled_from(
    ["close", "rsi_14", "sma_200", "(", ")", "and", "or", "not", "<", ">=", "==", "+", "-", "*", "/", "1", "2.5",
     "abs(", "zscore(", ",", '"bull"', "regime", "mom_252_21", "nope_3", "", " "]
)  # fmt: skip


@settings(max_examples=400)
@given(st.lists(TOKENS, max_size=40), st.integers(min_value=0, max_value=400))
def test_fuzz_expression_parser(tokens: list[str], nesting: int) -> None:
    from trade2026.screener._expr import ExpressionError, compile_expression

    source = "(" * nesting + " ".join(tokens) + ")" * nesting
    with contextlib.suppress(ExpressionError):  # an InputError: exit 2, never RecursionError or a crash
        compile_expression(source)


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["2024-01-02", "2024-01-03", "02/01/2024", "", "x", "1e30", "8319-01-01"]),
            st.sampled_from(["AAA", "", "B"]),
            st.sampled_from(["10", "10,5", "nan", "inf", "-1", "1e308", "", "x"]),
            st.sampled_from(["11", "12", "9", "inf"]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([",", ";"]),
)
def test_fuzz_ingest(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str, str]], sep: str) -> None:
    from trade2026.lake import IngestOptions, read_files

    lines = [sep.join(["date", "symbol", "open", "high", "low", "close", "volume"])]
    lines += [sep.join([d, s, o, h, "9", o, "100"]) for d, s, o, h in rows]
    path = tmp_path_factory.mktemp("ingest") / "f.csv"
    path.write_text("\n".join(lines) + "\n")
    try:
        df = read_files([path], kind="bars", options=IngestOptions(delimiter=sep))
    except InputError:
        return
    for c in ("open", "high", "low", "close", "volume"):
        assert df[c].is_finite().all() and (df[c] >= 0).all()


@settings(max_examples=200)
@given(
    st.sampled_from(["hrp", "herc", "nco", "max_return", "utility", "rrp", "mean_risk"]),
    st.dictionaries(
        st.sampled_from(["linkage", "rm", "max_k", "max_vol", "risk_aversion", "version", "objective", "penalty"]),
        st.one_of(st.text(max_size=6), st.integers(-5, 50).map(str), st.floats().map(str), VALUES),
        max_size=3,
    ),
)
def test_fuzz_method_parameters(method: str, params: dict[str, Any]) -> None:
    from trade2026.portfolio import METHODS

    m = METHODS[method]
    try:
        resolved = m.resolve_params(params)
    except InputError:
        return
    for key, value in resolved.items():
        p = m.params[key]
        assert type(value) is type(p.default) or (isinstance(p.default, float) and isinstance(value, int))
        if p.choices:
            assert value.lower() in {c.lower() for c in p.choices}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[t26]\nhome = 3\n", "must be non-empty text"),
        ('[t26]\nexecuter = "ray"\n', "unknown setting 'executer'"),
        ('[t26]\nexecutor = "gpu"\n', "unknown executor"),
    ],
)
def test_a_bad_t26_toml_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, needle: str
) -> None:
    from trade2026.config import load_settings

    (tmp_path / "t26.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("T26_CONFIG", raising=False)
    with pytest.raises(InputError, match=needle):
        load_settings()
    monkeypatch.setenv("T26_CONFIG", str(tmp_path))
    with pytest.raises(InputError, match="is a directory"):
        load_settings()
