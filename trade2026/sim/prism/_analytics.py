"""Market-quality analytics of a PRISM run: liquidity, price impact, execution, price discovery."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl


def _f(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


def liquidity(frames: dict[str, pl.DataFrame], *, large_quantile: float = 0.95) -> dict[str, float]:
    """Spread, depth, top-of-book imbalance, resiliency and Kyle's lambda.

    * ``spread_bps`` / ``spread_ticks_mean``: mean quoted spread over quote updates with both sides;
    * ``depth_mean``: mean shares over the snapshot's levels, bid plus ask;
    * ``imbalance_mean`` / ``imbalance_sd``: (bid size - ask size) / (bid size + ask size) at the top;
    * ``resiliency_s``: median seconds for the spread to come back to its median after a trade of
      an aggressive order in the top ``1 - large_quantile`` by size;
    * ``kyle_lambda_bps_per_1k``: slope of 1-minute mid returns (bps) on signed volume (1,000 shares),
      with ``kyle_r2`` its R^2 (A. Kyle, 1985).
    """
    q = frames["quotes"].drop_nulls(["bid", "ask"]).filter(pl.col("bid").is_not_nan() & pl.col("ask").is_not_nan())
    out: dict[str, float] = {}
    spread = (q["ask"] - q["bid"]).to_numpy()
    mid = ((q["ask"] + q["bid"]) / 2).to_numpy()
    out["spread_bps"] = _f(np.mean(spread / mid) * 1e4) if spread.size else float("nan")
    out["spread_mean"] = _f(np.mean(spread)) if spread.size else float("nan")
    bs, asz = q["bid_size"].to_numpy(), q["ask_size"].to_numpy()
    imb = (bs - asz) / np.maximum(bs + asz, 1)
    out["imbalance_mean"] = _f(imb.mean()) if imb.size else float("nan")
    out["imbalance_sd"] = _f(imb.std()) if imb.size else float("nan")
    d = frames["depth"]
    per_snap = d.group_by("ts").agg((pl.col("bid_size").sum() + pl.col("ask_size").sum()).alias("x"))
    out["depth_mean"] = _f(per_snap["x"].mean())
    out["resiliency_s"] = _resiliency(frames["trades"], q, spread, large_quantile)
    out.update(_kyle(frames["bars_1m"], frames["trades"]))
    return out


def _resiliency(trades: pl.DataFrame, q: pl.DataFrame, spread: np.ndarray, quant: float) -> float:
    if trades.height == 0 or spread.size == 0:
        return float("nan")
    orders = trades.group_by("ts", "side").agg(pl.col("size").sum().alias("size"))
    cut = orders["size"].quantile(quant)
    big = orders.filter(pl.col("size") >= cut)["ts"].sort().to_numpy().astype("datetime64[us]").astype(np.int64)
    qt = q["ts"].to_numpy().astype("datetime64[us]").astype(np.int64)
    normal = qt[spread <= np.median(spread)]
    if big.size == 0 or normal.size == 0:
        return float("nan")
    idx = np.searchsorted(normal, big, side="right")
    ok = idx < normal.size
    if not ok.any():
        return float("nan")
    return _f(np.median((normal[idx[ok]] - big[ok]) / 1e6))


def _kyle(bars: pl.DataFrame, trades: pl.DataFrame) -> dict[str, float]:
    if bars.height < 3:
        return {"kyle_lambda_bps_per_1k": float("nan"), "kyle_r2": float("nan")}
    flow = (
        trades.with_columns(pl.col("ts").dt.truncate("1m"), (pl.col("size") * pl.col("side")).alias("sv"))
        .group_by("ts")
        .agg(pl.col("sv").sum())
    )
    keep = [c for c in ("date",) if c in bars.columns]
    b = (
        bars.sort("ts")
        .with_columns(((pl.col("close") / pl.col("close").shift(1).over(keep or None) - 1) * 1e4).alias("r"))
        .join(flow, on="ts", how="left")
        .drop_nulls(["r", "sv"])
    )
    x, y = b["sv"].to_numpy() / 1000.0, b["r"].to_numpy()
    if x.size < 3 or x.std() == 0:
        return {"kyle_lambda_bps_per_1k": float("nan"), "kyle_r2": float("nan")}
    slope = float(np.cov(x, y, bias=True)[0, 1] / x.var())
    r2 = float(np.corrcoef(x, y)[0, 1] ** 2)
    return {"kyle_lambda_bps_per_1k": slope, "kyle_r2": r2}


def execution_quality(frames: dict[str, pl.DataFrame], tick_size: float, price: float) -> list[dict[str, Any]]:
    """Per agent type: orders, fill rate (filled / submitted shares), slippage of aggressive fills
    versus the mid when the order arrived (bps, positive = paid), and P&L."""
    a = frames["agent_days"]
    g = a.group_by("agent_type").agg(
        pl.col("orders").sum(),
        pl.col("submitted").sum(),
        pl.col("filled").sum(),
        pl.col("slippage_ticks_x_qty").sum(),
        pl.col("aggressive_qty").sum(),
    )
    pnl = frames["agents"].group_by("agent_type").agg(pl.col("pnl").sum(), pl.len().alias("agents"))
    g = g.join(pnl, on="agent_type").sort("agent_type")
    rows = []
    for r in g.iter_rows(named=True):
        slip = r["slippage_ticks_x_qty"] / r["aggressive_qty"] if r["aggressive_qty"] else float("nan")
        rows.append(
            {
                "agent_type": r["agent_type"],
                "agents": r["agents"],
                "orders": int(r["orders"]),
                "fill_rate": r["filled"] / r["submitted"] if r["submitted"] else float("nan"),
                "slippage_bps": slip * tick_size / price * 1e4,
                "pnl": r["pnl"],
            }
        )
    return rows


def price_discovery(frames: dict[str, pl.DataFrame], *, max_lag_s: int = 60) -> dict[str, float]:
    """How the mid follows the fundamental, from the per-second path.

    ``tracking_error_bps``: sd of log(mid / fundamental); ``mean_abs_gap_bps``; ``lag_s``: the
    lag (seconds) maximising the correlation of 1-second mid changes with past fundamental changes.
    """
    f = frames["fundamental"].sort("ts")
    m, v = f["mid"].to_numpy(), f["fundamental"].to_numpy()
    gap = np.log(m / v) * 1e4
    dm, dv = np.diff(np.log(m)), np.diff(np.log(v))
    # do not pair changes across session boundaries
    day = f["date"].to_numpy()
    same = day[1:] == day[:-1]
    dm, dv = np.where(same, dm, 0.0), np.where(same, dv, 0.0)
    best, best_c = 0, -np.inf
    for lag in range(max_lag_s + 1):
        a, b = dm[lag:], dv[: dv.size - lag]
        if a.std() == 0 or b.std() == 0:
            continue
        c = float(np.corrcoef(a, b)[0, 1])
        if c > best_c:
            best, best_c = lag, c
    return {
        "tracking_error_bps": _f(gap.std()),
        "mean_abs_gap_bps": _f(np.abs(gap).mean()),
        "lag_s": float(best),
        "lag_corr": _f(best_c),
    }
