"""Keep the README true: every `t26 ...` example names real subcommands and real options.

Each example line in the README's bash blocks is resolved against the registered typer app; every
`--option` it uses must be an option of that command (or a root option). Examples are not executed
here (several take tens of seconds); the commands themselves are tested under tests/commands.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

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
