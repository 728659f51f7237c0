"""numba kernels for bar construction."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def threshold_bar_ids(group: np.ndarray, measure: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Assign ticks to information-driven bars (AFML 2.3.1).

    A bar closes at the first tick where the measure accumulated since the bar opened reaches
    ``threshold``; accumulation restarts at each new group (symbol). Returns the bar id of every tick
    and, per bar id, whether the bar completed (the last bar of a group may be partial).
    """
    n = measure.shape[0]
    ids = np.empty(n, dtype=np.int64)
    complete = np.zeros(n + 1, dtype=np.bool_)
    bar = 0
    acc = 0.0
    for i in range(n):
        if i > 0 and group[i] != group[i - 1]:
            if acc > 0.0:
                bar += 1
            acc = 0.0
        ids[i] = bar
        acc += measure[i]
        if acc >= threshold:
            complete[bar] = True
            bar += 1
            acc = 0.0
    return ids, complete[: bar + 1]
