"""Every numeric option of every command refuses NaN, infinities and integers past int64 with exit 2
naming the flag, before any work (issue 18; one check in commands/_cli.check_numbers)."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.main import get_command

from commands.main import app

# Positional arguments a command needs before its options are looked at.
REQUIRED: dict[str, list[str]] = {
    "backtest": ["sma_cross"],
    "screen": ["close > 1"],
    "data ingest": ["missing.csv"],
    "data show": ["bars_1d"],
    "data history": ["bars_1d"],
    "data vacuum": ["bars_1d"],
    "data compact": ["bars_1d"],
    "data build": ["missing.toml"],
    "sql": ["SELECT 1"],
    "fracdiff": ["AAA"],
    "label": ["AAA"],
    "metalabel": ["AAA"],
    "factors evaluate": ["momentum"],
    "factors attribute": ["--weights", "equal"],
    "factors regress": ["AAA"],
    "runs show": ["x"],
    "runs compare": ["x", "y"],
    "serve run": ["--strategy", "sma_cross"],
    "features build": ["missing.toml"],
    "features show": ["x"],
    "models show": ["x"],
    "models promote": ["x", "1"],
    "models predict": ["x"],
    "rl train": ["--symbols", "AAA"],
    "rl walk-forward": ["--symbols", "AAA"],
    "rl eval": ["x", "--start", "2024-01-01"],
}


def _kind(annotation: Any) -> str | None:
    """ "float" or "int" for an option annotated (possibly Annotated/Optional) as one, else None."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if len(args) != 1 or args[0] is bool:
        return None
    return {float: "float", int: "int"}.get(args[0])


def _numeric_options() -> list[tuple[str, str, str]]:
    """(command path, flag, "float" | "int") for every numeric option of every leaf command."""
    out: list[tuple[str, str, str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
            return
        hints = inspect.signature(cmd.callback).parameters if cmd.callback else {}
        for p in cmd.params:
            if p.param_type_name != "option" or not p.opts[0].startswith("--") or p.name not in hints:
                continue
            kind = _kind(hints[p.name].annotation)
            if kind:
                out.append((" ".join(path), p.opts[0], kind))

    walk(get_command(app), [])
    return out


OPTIONS = _numeric_options()


def test_every_required_argument_is_supplied() -> None:
    """Else a command exits 2 for its missing argument and the fuzzing below proves nothing."""
    missing = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
            return
        if any(p.required for p in cmd.params) and " ".join(path) not in REQUIRED:
            missing.append(" ".join(path))

    walk(get_command(app), [])
    assert missing == []


def test_the_walk_finds_the_options_the_issue_names() -> None:
    flags = {(c, f) for c, f, _ in OPTIONS}
    assert ("backtest", "--capital") in flags and ("data show", "--limit") in flags
    assert ("sim mc", "--periods-per-year") in flags and ("sim prism", "--days") in flags
    assert len(OPTIONS) > 40


@pytest.mark.parametrize("option", OPTIONS, ids=[f"{c}:{f}" for c, f, _ in OPTIONS])
@settings(max_examples=3, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bad_float=st.sampled_from(["nan", "inf", "-inf"]),
    big=st.integers(min_value=2**63, max_value=2**80) | st.integers(min_value=-(2**80), max_value=-(2**63) - 2),
)
def test_fuzz_numeric_options(cli: Any, option: tuple[str, str, str], bad_float: str, big: int) -> None:
    path, flag, kind = option
    value = bad_float if kind == "float" else str(big)
    r = cli(*path.split(), *REQUIRED.get(path, []), flag, value)
    assert r.exit_code == 2, (path, flag, value, r.output)
    assert "unexpected failure" not in r.output
    said = r.output.lower()
    assert flag in r.output or "range" in said or "invalid value" in said, (path, flag, value, r.output)
