"""Feature transforms: fractional differentiation (AFML ch. 5), feature sets on the lake, point-in-time joins.

Technical indicators live in the public submodule :mod:`trade2026.features.indicators`. The
fracdiff names load on first use, each from its own module, so importing the indicators pulls in
no scikit-learn and :func:`fracdiff` itself neither scikit-learn nor statsmodels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trade2026.features._asof import asof_join
    from trade2026.features._fracdiff import (
        EXPANDING_THRESH,
        FFD_THRESH,
        SEARCH_THRESH,
        fracdiff,
        fracdiff_weights,
    )
    from trade2026.features._min_d import FracDiffReport, MinDResult, fracdiff_report, min_d
    from trade2026.features._sets import (
        DEFINITIONS_TABLE,
        FeatureBuildResult,
        FeatureSet,
        build_features,
        compute_features,
        feature_set_info,
        feature_sets,
        load_feature_set,
        read_features,
    )
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
    "asof_join": "_asof",
    "DEFINITIONS_TABLE": "_sets",
    "FeatureBuildResult": "_sets",
    "FeatureSet": "_sets",
    "build_features": "_sets",
    "compute_features": "_sets",
    "feature_set_info": "_sets",
    "feature_sets": "_sets",
    "load_feature_set": "_sets",
    "read_features": "_sets",
}

__all__ = [
    "DEFINITIONS_TABLE",
    "EXPANDING_THRESH",
    "FFD_THRESH",
    "SEARCH_THRESH",
    "FeatureBuildResult",
    "FeatureSet",
    "FracDiff",
    "FracDiffBarsResult",
    "FracDiffReport",
    "MinDResult",
    "asof_join",
    "build_features",
    "compute_features",
    "feature_set_info",
    "feature_sets",
    "fracdiff",
    "fracdiff_bars",
    "fracdiff_report",
    "fracdiff_weights",
    "load_feature_set",
    "min_d",
    "read_features",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"trade2026.features.{_MODULES[name]}"), name)
    msg = f"module 'trade2026.features' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
