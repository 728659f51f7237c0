"""Events, labels and sample weights (AFML ch. 2-4): the CUSUM filter, daily volatility, the
triple-barrier method, sample uniqueness, return attribution, time decay and the sequential
bootstrap."""

from trade2026.labeling._barriers import triple_barrier
from trade2026.labeling._events import cusum_filter, daily_vol
from trade2026.labeling._weights import (
    average_uniqueness,
    concurrent_events,
    return_attribution,
    sequential_bootstrap,
    time_decay,
)

__all__ = [
    "average_uniqueness",
    "concurrent_events",
    "cusum_filter",
    "daily_vol",
    "return_attribution",
    "sequential_bootstrap",
    "time_decay",
    "triple_barrier",
]
