"""Screens over the lake: the expression language, alpha ranks, forward-return history and regimes."""

from trade2026.screener._expr import (
    FUNCTIONS,
    MARKET_COLUMNS,
    Compiled,
    ExpressionError,
    compile_expression,
    parse,
    tokenize,
)

__all__ = [
    "FUNCTIONS",
    "MARKET_COLUMNS",
    "Compiled",
    "ExpressionError",
    "compile_expression",
    "parse",
    "tokenize",
]
