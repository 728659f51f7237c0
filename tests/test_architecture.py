"""The project's structural contracts, checked on the source (ARCHITECTURE.md, STYLE.md)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import trade2026.core
import trade2026.errors

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "trade2026"
COMMANDS = ROOT / "commands"
# numpy's legacy global-RNG API: seeding it, or drawing from it.
LEGACY_RNG = {
    "seed", "rand", "randn", "randint", "random", "random_sample", "normal", "uniform", "choice",
    "shuffle", "permutation", "standard_normal", "exponential", "poisson", "binomial", "RandomState",
}  # fmt: skip


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def test_commands_import_only_public_library_names() -> None:
    private = []
    for path in _modules(COMMANDS):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] != "trade2026":
                    continue
                if any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
                    private.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not private, "commands/ imports private library modules:\n" + "\n".join(private)


def _njit_functions(tree: ast.AST) -> set[ast.AST]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if _dotted(target).split(".")[-1] in {"njit", "jit"}:
                    out.add(node)
    return out


def test_no_global_numpy_rng_outside_prism_kernels() -> None:
    """All randomness goes through numpy Generators; only PRISM's numba kernels, which seed their own
    state at the start of a run, use numba's global-RNG API."""
    offenders = []
    for path in _modules(LIBRARY):
        tree = ast.parse(path.read_text())
        allowed: set[int] = set()
        if "prism" in path.parts:
            for fn in _njit_functions(tree):
                allowed.update(id(n) for n in ast.walk(fn))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in LEGACY_RNG:
                base = _dotted(node.value)
                if base in {"np.random", "numpy.random"} and id(node) not in allowed:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {base}.{node.attr}")
    assert not offenders, "global numpy RNG in the library:\n" + "\n".join(offenders)


def test_every_error_class_lives_in_errors_py_and_its_tree() -> None:
    elsewhere = []
    for path in _modules(LIBRARY):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and (node.name.endswith(("Error", "Exception"))):
                elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert not elsewhere, "error classes outside trade2026/errors.py:\n" + "\n".join(elsewhere)
    doc = trade2026.errors.__doc__ or ""
    classes = [c for _, c in inspect.getmembers(trade2026.errors, inspect.isclass) if issubclass(c, Exception)]
    assert {c.__name__ for c in classes} == set(trade2026.errors.__all__)
    for cls in classes:
        assert cls.__name__ in doc, f"{cls.__name__} is not drawn in the errors.py docstring"
        assert issubclass(cls, trade2026.errors.T26Error)
        assert cls.exit_code in (1, 2)


def test_core_public_names() -> None:
    assert trade2026.core.__all__ == [
        "BAR_COLUMNS",
        "BarCalendar",
        "MATRIX_METRICS",
        "PRICE_COLUMNS",
        "Panel",
        "SIZING_FRACTION",
        "SIZING_NOTIONAL",
        "as_array",
        "as_datetimes",
        "bar_calendar",
        "bars_by_symbol",
        "bars_panel",
        "benchmark_metrics",
        "check_periods_per_year",
        "check_save",
        "drawdown",
        "drawdown_table",
        "equal_weight_index",
        "equal_weight_returns",
        "ffill",
        "like_input",
        "max_drawdown",
        "metric_key",
        "metrics_columns",
        "moments",
        "norm_cdf",
        "norm_ppf",
        "optimal_block_length",
        "panel_to_long",
        "period_returns",
        "periods_per_year",
        "pivot",
        "require_columns",
        "returns_metrics",
        "risk_metrics",
        "rolling_metrics",
        "save_rows",
        "sharpe_ratio",
        "simple_returns",
        "stationary_bootstrap",
        "stationary_bootstrap_indices",
        "target_shares_nb",
        "to_polars",
    ]
