"""Screens over the lake: the expression language, alpha ranks, forward-return history and regimes.

``screen(bars, "rsi_14 < 30 and close > sma_200", rank=..., top=...)`` evaluates a screen on one
date; ``screen_history`` runs it on every date and measures forward returns; ``fit_markov`` and
``rule_regimes`` classify market regimes; saved screens live in TOML files and the ``screens`` table.
``screen_report``, ``screen_history_report`` and ``regime_report`` run those over the lake (what
``t26 screen`` and ``t26 regime`` do); ``load_bars`` and ``resolve_universe`` are deprecated aliases
of :meth:`trade2026.lake.Lake.read_bars` and :meth:`~trade2026.lake.Lake.resolve_universe`.
"""

from trade2026.screener._expr import (
    FUNCTIONS,
    MARKET_COLUMNS,
    Compiled,
    ExpressionError,
    compile_expression,
    parse,
    tokenize,
)
from trade2026.screener._regime import MarkovRegimes, RegimeFitError, fit_markov, quadrant_summary
from trade2026.screener._reports import (
    RegimeReport,
    ScreenReport,
    regime_report,
    screen_history_report,
    screen_report,
)
from trade2026.screener._rules import market_index, rule_regimes
from trade2026.screener._saved import (
    EXAMPLE_SCREENS,
    SavedScreen,
    changes,
    get_screen,
    load_screens,
    record,
    write_example_screens,
)
from trade2026.screener._screen import (
    HistoryResult,
    ScreenResult,
    load_bars,
    resolve_universe,
    screen,
    screen_history,
)

__all__ = [
    "Compiled",
    "EXAMPLE_SCREENS",
    "ExpressionError",
    "FUNCTIONS",
    "HistoryResult",
    "MARKET_COLUMNS",
    "MarkovRegimes",
    "RegimeFitError",
    "RegimeReport",
    "SavedScreen",
    "ScreenReport",
    "ScreenResult",
    "changes",
    "compile_expression",
    "fit_markov",
    "get_screen",
    "load_bars",
    "load_screens",
    "market_index",
    "parse",
    "quadrant_summary",
    "record",
    "regime_report",
    "resolve_universe",
    "rule_regimes",
    "screen",
    "screen_history",
    "screen_history_report",
    "screen_report",
    "tokenize",
    "write_example_screens",
]
