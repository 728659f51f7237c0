"""Feature transforms: fractional differentiation (AFML ch. 5).

Technical indicators live in the public submodule :mod:`trade2026.features.indicators`. The
fracdiff names load on first use, so importing the indicators does not pull in scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trade2026.features._fracdiff import (
        FracDiff,
        FracDiffReport,
        MinDResult,
        fracdiff,
        fracdiff_report,
        fracdiff_weights,
        min_d,
    )

__all__ = ["FracDiff", "FracDiffReport", "MinDResult", "fracdiff", "fracdiff_report", "fracdiff_weights", "min_d"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("trade2026.features._fracdiff"), name)
    msg = f"module 'trade2026.features' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
