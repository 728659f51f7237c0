"""Keep the README true: every `t26 ...` example names real subcommands and options, and runs.

Each example line in the README's bash blocks is resolved against the registered typer app; every
`--option` it uses must be an option of that command (or a root option). ``test_examples_run`` then
runs every bash block in README order in a fresh home, as a new user would: optional ``[...]`` parts
left out, the first of ``a|b`` alternatives, the input files the examples name (``prices.csv``,
``ticks/``, ...) written first, and the sizes in :data:`SMALL` (trials, timesteps, paths) shrunk so
the run stays within a few minutes; nothing else is changed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer

from commands.main import app

README = Path(__file__).resolve().parents[1] / "README.md"


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = re.split(r"\s#\s", line)[0].strip()
            if line.startswith("t26 "):
                lines.append(line)
    return lines


def options_of(cmd: Any) -> set[str]:
    out: set[str] = set()
    for p in getattr(cmd, "params", []):
        out.update(getattr(p, "opts", []))
        out.update(getattr(p, "secondary_opts", []))
    return out


def resolve(tokens: list[str]) -> tuple[list[str], Any, list[str]]:
    root = typer.main.get_command(app)
    cmd, path, rest = root, [], list(tokens)
    while rest and rest[0] in getattr(cmd, "commands", {}):
        path.append(rest[0])
        cmd = cmd.commands[rest.pop(0)]
        default = getattr(cmd, "default_command", None)  # `t26 serve --strategy X` is `t26 serve run ...`
        if default and not (rest and rest[0] in cmd.commands):
            path.append(default)
            cmd = cmd.commands[default]
    return path, cmd, rest


def test_readme_has_examples_for_every_command() -> None:
    used = {" ".join(resolve(shlex.split(line.replace("[", " ").replace("]", " "))[1:])[0]) for line in examples()}
    root = typer.main.get_command(app)
    leaves = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", {})
        if not subs:
            leaves.append(" ".join(path))
        for name, sub in subs.items():
            walk(sub, (*path, name))

    walk(root, ())
    missing = [leaf for leaf in leaves if leaf not in used]
    assert not missing, f"README has no example for: {missing}"


def test_every_example_uses_real_options() -> None:
    root_opts = options_of(typer.main.get_command(app))
    problems = []
    for line in examples():
        tokens = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))[1:]
        path, cmd, rest = resolve(tokens)
        if getattr(cmd, "commands", None):
            # a group: the next token may be a positional of a group command (e.g. `sim prism facts TABLE`)
            problems.append(f"{line!r}: '{' '.join(path)}' needs a subcommand")
            continue
        known = options_of(cmd) | root_opts
        for tok in rest:
            if tok.startswith("-") and not re.match(r"^-\d", tok):
                name = tok.split("=", 1)[0]
                if name not in known:
                    problems.append(f"{line!r}: {' '.join(path)} has no option {name}")
    assert not problems, "\n".join(problems)


# Sizes a test run can afford: option -> value (or old value -> new value), applied to every example.
SMALL: dict[str, str | dict[str, str]] = {
    "--trials": "3",
    "--timesteps": "256",
    "--paths": "50",
    "--synthetic-paths": "2",
    "--points": "4",
    "--rebalance": "252",
    "--session": "0.5h",
    "--bars": "4",
    "--seeds": {"1-4": "1-2", "1-3": "1", "1-2": "1"},
}


def steps() -> list[tuple[str, str]]:
    """The README's bash blocks in order: ("script", text) for a #! block, else ("t26"|"shell", line)."""
    out: list[tuple[str, str]] = []
    text = README.read_text(encoding="utf-8")
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        if block.startswith("#!"):
            out.append(("script", block))
            continue
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s#\s", line)[0].strip()
            if line.startswith("pip install"):
                continue  # installing is what the test environment already did
            if line and not line.startswith("#"):
                out.append(("t26" if line.startswith("t26 ") else "shell", line))
    return out


def concrete(line: str) -> list[str]:
    """An example's tokens as run: optional [...] parts dropped, first alternative, sizes of SMALL."""
    for _ in range(2):  # nested brackets
        line = re.sub(r"\s*\[[^\[\]]*\]", "", line)
    tokens = []
    for tok in shlex.split(line, posix=False):
        if not tok.startswith(("'", '"')) and "|" in tok:
            tok = tok.split("|")[0]
        tokens.append(tok.strip("'\"") if tok[:1] in "'\"" and tok[-1:] == tok[:1] else tok)
    for i, tok in enumerate(tokens[:-1]):
        small = SMALL.get(tok)
        if isinstance(small, dict):
            tokens[i + 1] = small.get(tokens[i + 1], tokens[i + 1])
        elif small is not None:
            tokens[i + 1] = small
    return tokens


def write_inputs(cwd: Path) -> None:
    """The files the examples read, as a user would have them."""
    import datetime as dt

    import numpy as np

    shutil.copytree(README.parent / "datasets", cwd / "datasets")
    rng = np.random.default_rng(0)
    days = [dt.date(2023, 1, 2) + dt.timedelta(days=i) for i in range(400)]
    days = [d for d in days if d.weekday() < 5][:260]
    price, yahoo, kurse = 100.0, ["Date,Open,High,Low,Close,Adj Close,Volume"], ["symbol;ts;open;high;low;close;volume"]
    for i, d in enumerate(days):
        price *= 1 + rng.normal(0, 0.01)
        o, h, lo = price * (1 + rng.normal(0, 0.002)), price * 1.012, price * 0.988
        o = min(max(o, lo), h)
        yahoo.append(f"{d},{o:.4f},{h:.4f},{lo:.4f},{price:.4f},{price * (0.9 + i / 5000):.4f},{1000 + i}")
        fmt = [f"{x:,.3f}".replace(",", "_").replace(".", ",").replace("_", ".") for x in (o, h, lo, price)]
        kurse.append(f"DAX;{d};{';'.join(fmt)};{1200 + i}")
    (cwd / "prices.csv").write_text("\n".join(yahoo) + "\n")
    (cwd / "kurse.csv").write_text("\n".join(kurse) + "\n")
    (cwd / "ticks").mkdir()
    for sym in ("AAPL", "MSFT"):
        rows = ["symbol,ts,price,size,side"]
        t = dt.datetime(2024, 3, 1, 9, 30)
        for _k in range(500):
            t += dt.timedelta(milliseconds=int(rng.integers(50, 5000)))
            rows.append(f"{sym},{t:%Y-%m-%d %H:%M:%S.%f},{100 + rng.normal(0, 0.5):.2f},{rng.integers(1, 500)},1")
        (cwd / "ticks" / f"{sym}.csv").write_text("\n".join(rows) + "\n")
    r = rng.normal(0.0004, 0.01, len(days))
    (cwd / "my_returns.csv").write_text("ts,return\n" + "".join(f"{d},{x:.6f}\n" for d, x in zip(days, r, strict=True)))
    f = rng.normal(0, 0.01, (len(days), 2))
    body = "".join(f"{d},{a:.6f},{b:.6f}\n" for d, (a, b) in zip(days, f, strict=True))
    (cwd / "ext_factors.csv").write_text("date,market,momentum\n" + body)
    (cwd / "my_signals.csv").write_text(
        "symbol,ts,signal\n" + "".join(f"ACC,{d},{i % 2}\n" for i, d in enumerate(days))
    )
    body = "".join(f"{m},{d},{x:.6f}\n" for m in ("hrp", "ew") for d, x in zip(days, r, strict=True))
    (cwd / "long_returns.csv").write_text("method,ts,return\n" + body)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: Any, timeout: float = 120.0) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"the venue did not listen on {port}")


@pytest.mark.slow
def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every README bash block runs as written, in order, in a fresh home (sizes from SMALL)."""
    import json
    import subprocess
    import sys
    import time

    from typer.testing import CliRunner

    from commands import _cli
    from trade2026 import dumps

    cwd, user = tmp_path / "work", tmp_path / "user"
    home = user / ".t26"  # the default home of a user whose HOME is `user`: ~/.t26 in examples is this one
    cwd.mkdir()
    home.mkdir(parents=True)
    write_inputs(cwd)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("T26_HOME", str(home))
    bindir = tmp_path / "bin"  # `t26` for the shell script blocks: this tree's CLI
    bindir.mkdir()
    (bindir / "t26").write_text(f'#!/bin/sh\nexec {sys.executable} -m commands.main "$@"\n')
    (bindir / "t26").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    runner = CliRunner()
    # the venue (7001) and the control API (8765) of the examples, on free ports
    ports = {"7001": str(_free_port()), "8765": str(_free_port())}
    background: list[Any] = []
    failures: list[str] = []
    shell_vars = ""  # `T=...; J=...` lines: later shell lines see them, as in one terminal
    results: list[tuple[str, Any]] = []  # every command's --json document, for the vocabulary
    timings: list[tuple[float, str]] = []
    human = _cli.render

    def render_both(out: Any, *, as_json: bool) -> None:
        results.append((current, json.loads(dumps(out.data))))  # exactly what --json prints
        human(out, as_json=as_json)

    monkeypatch.setattr(_cli, "render", render_both)
    current = ""
    try:
        for kind, text in steps():
            for example, free in ports.items():
                text = text.replace(example, free)
            if kind == "t26" and text.endswith("&"):
                tokens = [os.path.expanduser(t) for t in concrete(text[:-1])[1:]]
                cmd = [sys.executable, "-m", "commands.main", *tokens]
                proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                background.append(proc)
                _wait_port(int(ports["8765"] if "--api" in tokens else ports["7001"]), proc)
                continue
            if kind == "t26":
                tokens = [os.path.expanduser(t) for t in concrete(text)[1:]]
                if "RUN_ID" in tokens:
                    runs = json.loads(runner.invoke(app, ["runs", "ls", "--json"]).stdout)
                    for k, i in enumerate(j for j, t in enumerate(tokens) if t == "RUN_ID"):
                        tokens[i] = runs[k]["run_id"]
                current = " ".join(tokens)
                began = time.monotonic()
                typed = "KILL\n" if tokens[:2] == ["serve", "kill"] else None  # its typed confirmation
                res = runner.invoke(app, tokens, input=typed)
                timings.append((time.monotonic() - began, current))
                ok, out = res.exit_code == 0, f"{res.stdout}\n{res.stderr}"
            else:
                run = subprocess.run(shell_vars + text, shell=True, cwd=cwd, env=env, capture_output=True, text=True)
                ok, out = run.returncode == 0, run.stdout + run.stderr
                if re.fullmatch(r'(\w+="[^"]*";?\s*)+', text):
                    shell_vars += text.rstrip("; ") + "; "
            if not ok:
                failures.append(f"{text[:120]!r}:\n{out.strip()[-600:]}")
    finally:
        for proc in reversed(background):  # the serve loop first, then the venue it trades on
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
    for seconds, what in sorted(timings, reverse=True)[:12]:
        print(f"{seconds:6.1f} s  t26 {what}")  # shown with -s: where the run's time goes
    problems = sorted({p for where, data in results for p in vocabulary_problems(where, data)})
    assert not failures and not problems and len(results) > 60, (
        f"{len(failures)} README example(s) failed:\n" + "\n\n".join(failures) + "\n\nJSON vocabulary:\n"
        + "\n".join(problems)
    )  # fmt: skip


# --- the JSON vocabulary (README "JSON vocabulary"), checked on every result the examples produce ---

# Keys whose children are data names (symbols, tables, parameters, dates), not vocabulary.
MAPPINGS = {
    "weights", "risk_contributions", "per_symbol", "tables", "params", "best_params", "search", "lake_rows",
    "risk_limits", "agents", "prism_agents", "kurtosis_by_horizon", "excess_kurtosis_by_horizon", "transition",
    "tags", "settings", "constraints", "definition", "aliases", "grid", "baselines", "facts_by_symbol", "bases",
    "model_params",
    "exposures", "quadrants", "returns", "classification", "current", "positions", "sectors",
    "group_max", "group_min", "excluded", "factors",
}  # fmt: skip
# Known stragglers in code this test does not own, to be fixed there (then removed from here):
# trade2026/rl stores train_start/train_end as str(datetime) ("2022-12-30 00:00:00+00:00").
PENDING: tuple[tuple[str, str], ...] = ()
_SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")  # runs compare: one column per MLflow run id (data, not a name)
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}")
_STAMP_OK = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00)?$")


def vocabulary() -> tuple[dict[str, str], set[str]]:
    """(synonym -> the name to use, names kept where the README documented them) from the README."""
    text = README.read_text(encoding="utf-8").split("## JSON vocabulary", 1)[1].split("\n## ", 1)[0]
    never: dict[str, str] = {}
    for line in text.splitlines():
        cells = line.split("|")
        if len(cells) == 5 and cells[1].strip().startswith("`"):
            names = re.findall(r"`([a-z_0-9]+)`", cells[1])
            for bad in re.findall(r"`([a-z_0-9]+)`", cells[3]):
                never[bad] = names[0]
    kept_text = text.split("Kept where", 1)[1].split("Renamed:", 1)[0]
    kept = set(re.findall(r"`([a-z_]+)` \(", kept_text))
    return never, kept


def vocabulary_problems(where: str, data: Any) -> list[str]:
    never, kept = vocabulary()
    out: list[str] = []

    def walk(value: Any, parent: str | None) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if parent not in MAPPINGS:
                    if not _SNAKE.match(str(key)) and not _RUN_ID.match(str(key)):
                        out.append(f"{where}: key {key!r} is not snake_case")
                    elif key in never and key not in kept:
                        out.append(f"{where}: key {key!r} should be {never[key]!r}")
                    if key == "symbols" and not isinstance(sub, list | type(None)) and "symbols" not in kept:
                        out.append(f"{where}: 'symbols' is {type(sub).__name__}, not a list")
                walk(sub, str(key))
        elif isinstance(value, list):
            for item in value:  # a list of row objects: their keys are vocabulary
                walk(item, parent if not isinstance(item, dict) else None)
        elif isinstance(value, str) and _STAMP.match(value) and not _STAMP_OK.match(value):
            out.append(f"{where}: timestamp {value!r} is not YYYY-MM-DD or ISO 8601 UTC")

    walk(data, None)
    return [p for p in out if not any(where.startswith(cmd) and f": {what} " in p for cmd, what in PENDING)]


def test_vocabulary_checker_catches_stragglers() -> None:
    never, kept = vocabulary()
    assert never["tstat"] == "t_stat" and never["vol_ann"] == "ann_vol" and "tstat" in kept
    assert not vocabulary_problems("ok", {"t_stat": 1, "symbols": ["A"], "ts": "2024-01-02T00:00:00+00:00"})
    bad = {"nobs": 3, "Sharpe": 1, "symbols": ["A"], "start": "2024-01-02 00:00:00", "weights": {"ACC": 1}}
    found = vocabulary_problems("x", bad)
    assert len(found) == 3 and any("'n_obs'" in p for p in found) and any("timestamp" in p for p in found)
