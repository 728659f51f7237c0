"""Feature transforms: fractional differentiation (AFML ch. 5).

Technical indicators live in the public submodule :mod:`trade2026.features.indicators`.
"""

from trade2026.features._fracdiff import FracDiff, MinDResult, fracdiff, fracdiff_weights, min_d

__all__ = ["FracDiff", "MinDResult", "fracdiff", "fracdiff_weights", "min_d"]
