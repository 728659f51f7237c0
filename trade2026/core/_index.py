"""The equal-weight universe index: one definition for the screener's market regimes and the style model's
equal-weighted market return.

Each date's index return is the mean simple close-to-close return of the symbols that have a close on
that date and on the previous date of the panel (the union of every symbol's dates); the index
compounds those returns from ``base`` on the first date. A date on which no symbol has a return
(the first one, or a gap in the whole universe) leaves the index unchanged. Late listings join the
mean on their second bar and delistings leave it after their last one, so the index never looks
ahead to who will trade.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from trade2026.core._frames import like_input, to_polars
from trade2026.core._panel import pivot, simple_returns


def equal_weight_returns(returns: np.ndarray) -> np.ndarray:
    """The equal-weight mean of each row of a (n_obs, n_assets) matrix of simple returns.

    Parameters
    ----------
    returns : ndarray of shape (n_obs, n_assets)
        Simple per-period returns; NaN where an asset has no return that period.

    Returns
    -------
    ndarray of shape (n_obs,)
        The mean of the finite entries of each row (NaN on a row with none).
    """
    r = np.asarray(returns, dtype=np.float64)
    ok = np.isfinite(r)
    n = ok.sum(axis=1)
    total = np.where(ok, r, 0.0).sum(axis=1)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def equal_weight_index(bars: Any, *, column: str = "close", base: float = 1.0) -> Any:
    """The equal-weight index of long bars: ``ts, close`` with one row per date of ``bars``.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long rows with ``symbol``, ``ts`` and ``column`` (daily bars).
    column : str
        The price column whose simple returns are averaged.
    base : float
        The index level on the first date.

    Returns
    -------
    DataFrame of the kind given
        ``ts`` (sorted) and ``close``, the compounded equal-weight index (see the module notes).
    """
    df, was_pandas = to_polars(bars, what="bars")
    p = pivot(df, [column], what="bars")
    r = np.nan_to_num(equal_weight_returns(simple_returns(p[column])), nan=0.0)
    out = pl.DataFrame({"ts": p.ts, "close": base * np.cumprod(1.0 + r)})
    return like_input(out, was_pandas)


__all__ = ["equal_weight_index", "equal_weight_returns"]
