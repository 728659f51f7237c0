"""Feature transforms: fractional differentiation (AFML ch. 5).

Technical indicators live in the public submodule :mod:`trade2026.features.indicators`. The
fracdiff names load on first use, each from its own module, so importing the indicators pulls in
no scikit-learn and :func:`fracdiff` itself neither scikit-learn nor statsmodels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trade2026.features._fracdiff import (
        EXPANDING_THRESH,
        FFD_THRESH,
        SEARCH_THRESH,
        fracdiff,
        fracdiff_weights,
    )
    from trade2026.features._min_d import FracDiffReport, MinDResult, fracdiff_report, min_d
    from trade2026.features._transformer import FracDiff
    from trade2026.features._workflow import FracDiffBarsResult, fracdiff_bars

_MODULES = {
    "EXPANDING_THRESH": "_fracdiff",
    "FFD_THRESH": "_fracdiff",
    "SEARCH_THRESH": "_fracdiff",
    "fracdiff": "_fracdiff",
    "fracdiff_weights": "_fracdiff",
    "FracDiffReport": "_min_d",
    "MinDResult": "_min_d",
    "fracdiff_report": "_min_d",
    "min_d": "_min_d",
    "FracDiff": "_transformer",
    "FracDiffBarsResult": "_workflow",
    "fracdiff_bars": "_workflow",
}

__all__ = [
    "EXPANDING_THRESH",
    "FFD_THRESH",
    "SEARCH_THRESH",
    "FracDiff",
    "FracDiffBarsResult",
    "FracDiffReport",
    "MinDResult",
    "fracdiff",
    "fracdiff_bars",
    "fracdiff_report",
    "fracdiff_weights",
    "min_d",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"trade2026.features.{_MODULES[name]}"), name)
    msg = f"module 'trade2026.features' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
