"""The fill-sizing rule every engine shares: the backtest, the RL environments and the live paper replay.

One numba kernel, so a decision sized in a backtest is sized the same in ``t26 rl`` and ``t26 serve``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SIZING_FRACTION = 0  # a weight is a fraction of equity, net of the order's own costs
SIZING_NOTIONAL = 1  # a weight is a multiple of a fixed notional


@njit(cache=True)
def target_shares_nb(
    w: float,
    equity: float,
    s0: float,
    p_buy: float,
    p_sell: float,
    base: float,
    sizing: int,
    notional: float,
    c_rate: float,
    c_share: float,
    c_fixed: float,
) -> float:  # pragma: no cover - compiled
    """Shares after rebalancing to weight ``w`` at fill prices ``p_buy``/``p_sell`` (``base`` values the
    holding ``s0``): ``sizing`` 0 holds ``w * (E - cost) / p`` shares, the order's own commission
    (rate ``c_rate`` of notional, ``c_share`` per share, ``c_fixed`` per order) included, i.e.
    ``s * p = w * (E - cost(s - s0))`` solved for s; ``sizing`` 1 holds ``w * notional / p``. A target
    equal to the holding is no trade (no fixed fee)."""
    if w == 0.0 or not np.isfinite(w):
        return 0.0
    if sizing == 1:  # fixed notional per unit of weight
        want = w * notional / base
        if abs(want - s0) <= 1e-9 * abs(s0):
            return s0
        if want > s0:
            return w * notional / p_buy
        if want < s0:
            return w * notional / p_sell
        return s0
    if equity <= 0.0:
        return 0.0
    # Fraction of equity, net of this order's own costs: s * p = w * (E - cost(s - s0)).
    want = w * equity / base
    if abs(want - s0) <= 1e-9 * abs(s0):
        return s0  # already at the target (re-sent unchanged): no trade, no fixed fee
    if want > s0:
        s = w * (equity - c_fixed + s0 * (c_rate * p_buy + c_share)) / (p_buy * (1.0 + w * c_rate) + w * c_share)
        return s if s > s0 else s0
    if want < s0:
        s = w * (equity - c_fixed - s0 * (c_rate * p_sell + c_share)) / (p_sell * (1.0 - w * c_rate) - w * c_share)
        return s if s < s0 else s0
    return s0
