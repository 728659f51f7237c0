"""How numbers read in every report: returns as percentages, ordinary magnitudes without exponents."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

# Metrics that are fractions of capital (returns, drawdowns, volatilities, rates): shown as percentages.
PERCENT_METRICS = frozenset(
    {
        "alpha",
        "ann_excess_return",
        "ann_return",
        "ann_vol",
        "avg_down_month",
        "avg_loss",
        "avg_mae",
        "avg_mfe",
        "avg_return",
        "avg_up_month",
        "avg_win",
        "best_day",
        "best_month",
        "best_year",
        "cagr",
        "cvar",
        "depth",
        "excess_return",
        "exposure",
        "hit_rate",
        "mae",
        "max_drawdown",
        "mfe",
        "oos_total_return",
        "return",
        "risk_free_rate",
        "total_return",
        "tracking_error",
        "turnover",
        "var",
        "win_months",
        "win_rate",
        "worst_day",
        "worst_month",
        "worst_year",
    }
)
_PERCENT_SUFFIXES = ("_return", "_drawdown", "_vol", "_cagr", "_hit_rate")
_PERCENT_PREFIXES = ("var_", "cvar_", "return_")


def is_percent(name: str) -> bool:
    """Whether a metric called ``name`` is a fraction of capital shown as a percentage.

    The names of :data:`PERCENT_METRICS`, names ending in ``_return``, ``_drawdown``, ``_vol``,
    ``_cagr`` or ``_hit_rate`` (``oos_total_return``, ``is_max_drawdown``) and ``var_*``/``cvar_*``.
    """
    n = str(name).lower()
    return n in PERCENT_METRICS or n.endswith(_PERCENT_SUFFIXES) or n.startswith(_PERCENT_PREFIXES)


def format_value(value: Any, *, percent: bool = False, decimals: int = 2) -> str:
    """A cell's text: ``percent`` writes a fraction as ``12.34%``; floats get ``decimals`` (more for
    small numbers, thousands separators for large ones, never an exponent below 1e15); NaN/None as
    ``n/a``; timestamps as ISO dates (with the time when it is not midnight)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if percent:
            return f"{value * 100:,.{decimals}f}%"
        a = abs(value)
        if a >= 1e15:
            return f"{value:.3e}"
        if a >= 1000:
            return f"{value:,.0f}"
        if a != 0 and a < 0.01:
            return f"{value:.{decimals + 2}g}"
        return f"{value:,.{decimals}f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


__all__ = ["PERCENT_METRICS", "format_value", "is_percent"]
