"""Help people can read: value shapes not Python types, the newcomer's command order, real symbols."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from commands.main import ORDER, app
from tests.commands.test_cli_help import ALL

runner = CliRunner()


def _help(path: tuple[str, ...]) -> str:
    res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: " ".join(p) or "t26")
def test_help_shows_value_shapes_not_python_types(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert not re.search(r"<(bool|str|int|float|path|list\[[^>]*\])>", text, re.I), text
    assert "list[" not in text and "BOOLEAN" not in text  # no metavar on a flag
    for line in text.splitlines():
        if re.search(r"│ --(json|debug|no-track|help)\b", line):
            assert re.match(r"│ --[\w-]+(\s+-\w)?\s{2,}[A-Z]", line), line  # the help text follows the flag


def test_root_help_lists_commands_in_the_newcomers_order() -> None:
    text = _help(())
    listed = [m.group(1) for m in re.finditer(r"^│ (\w+)\s", text.split("Commands")[1], re.M)]
    assert listed == [c for c in ORDER if c in listed] and listed[:3] == ["demo", "data", "sql"]
    assert set(listed) == set(ORDER)


def test_help_examples_use_symbols_of_the_sample() -> None:
    from trade2026.datasets import SampleSpec, generate

    symbols = set(generate(SampleSpec(symbols=60, years=1, intraday_symbols=1, intraday_days=1)).symbols["symbol"])
    used: dict[str, set[str]] = {}
    for path, _ in ALL:
        if path:
            for line in _help(path).splitlines():
                if "t26 " in line:
                    for tok in re.findall(r"\b[A-Z]{3,5}\b", line.split("t26 ", 1)[1]):
                        used.setdefault(tok, set()).add(" ".join(path))
    words = {"SELECT", "FROM", "GROUP", "ORDER", "BY", "ARGS", "NAME", "SPEC"}  # SQL and placeholders
    words.add("SPY")  # data ingest --symbol SPY names the symbol of the user's own file
    unknown = {tok: where for tok, where in used.items() if tok not in symbols | words}
    assert not unknown and used, unknown


@pytest.mark.parametrize(
    ("path", "panels"),
    [
        (("sim", "mc"), ["Source", "Methods and paths", "PRISM paths", "Execution"]),
        (("data", "ingest"), ["Columns and keys", "Text format"]),
    ],
)
def test_long_option_lists_are_grouped(path: tuple[str, ...], panels: list[str]) -> None:
    text = _help(path)
    found = re.findall(r"╭─ (.+?) ─", text)
    assert [p for p in found if p in panels] == panels
    assert "--prism-days" in text.split("PRISM paths")[-1] if "PRISM paths" in panels else "--tz" in text


def test_backtest_options_are_grouped_in_panels() -> None:
    text = _help(("backtest",))
    found = re.findall(r"╭─ (.+?) ─", text)
    assert found == [
        "Arguments",
        "Options",
        "Sweep",
        "Walk-forward",
        "Reports",
        "Sizing",
        "Costs",
        "Stops",
        "Execution",
    ]
    costs = text.split("╭─ Costs")[1].split("╭─")[0]
    assert "--commission-bps" in costs and "--slippage-bps" in costs and "--grid" not in costs
