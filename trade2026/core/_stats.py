"""Small statistical helpers without scipy.stats (it costs ~2 s to import; one quantile does not need it)."""

from __future__ import annotations

import math
from typing import Any


def norm_cdf(x: Any) -> Any:
    """Standard normal distribution function of a number (a float back) or an array (an array back)."""
    if isinstance(x, int | float):
        return 0.5 * math.erfc(-x / math.sqrt(2.0))
    from scipy.special import ndtr

    return ndtr(x)


def norm_ppf(p: float) -> float:
    """Standard normal quantile: Wichura's AS241 through ``statistics.NormalDist`` (agrees with
    ``scipy.special.ndtri`` to 1e-15 relative), so no scipy module is imported for one quantile."""
    if not 0.0 < p < 1.0:
        return -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)
