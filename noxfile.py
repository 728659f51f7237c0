"""Sessions: ``nox -s tests`` (the whole suite, what CI runs), ``nox -s lint typecheck``, ``nox -s bench``.

Virtualenvs are built with pip (nox's default backend). Every install goes through
``constraints.txt``, which pins torch to the CPU build 2.13.0 whatever pulls it in.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

CONSTRAINTS = ("-c", "constraints.txt")


@nox.session
def tests(session: nox.Session) -> None:
    """Install the package with its test extras and run the whole suite."""
    session.install(*CONSTRAINTS, "-e", ".[dev,distributed,rl,ccxt]")
    session.env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0", "PYTHONHASHSEED": "0"})
    session.run("pytest", "-q", "-p", "no:cacheprovider", "--durations=15", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "ruff")
    session.run("ruff", "check", "trade2026", "commands", "tests", "benchmarks")
    session.run("ruff", "format", "--check", "trade2026", "commands")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "-e", ".[dev]")
    session.run("mypy", "trade2026", "commands")


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark script (peer comparisons; prints ratios, asserts nothing)."""
    session.install(*CONSTRAINTS, "-e", ".[dev,distributed,rl,ccxt]")
    import pathlib

    for script in sorted(pathlib.Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
