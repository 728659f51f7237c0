"""A self-contained HTML tearsheet (PNG figures embedded as base64) plus the same figures as files.

matplotlib is imported only here, inside :func:`write_report`, with the non-interactive Agg backend.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return f"{v:,.4f}" if abs(v) < 1e6 else f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    return html.escape(str(v))


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>none</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(d: dict[str, Any]) -> str:
    return _table([{"name": k, "value": v} for k, v in d.items()])


def write_report(
    path: str | Path,
    *,
    title: str,
    returns: pl.DataFrame,
    metrics: dict[str, Any],
    trades: pl.DataFrame | None = None,
    statistics: dict[str, Any] | None = None,
    walk_forward: dict[str, Any] | None = None,
    pbo_logits: np.ndarray | None = None,
    pbo_summary: dict[str, Any] | None = None,
    robustness: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    periods_per_year: float = 252,
) -> list[Path]:
    """Write ``path`` (HTML) and one PNG per figure beside it; returns every file written.

    ``returns`` is a frame (ts, return) of the strategy's simple returns.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figs: list[tuple[str, str, Any]] = []
    ts = returns["ts"].to_list()
    r = returns["return"].fill_null(0.0).to_numpy()
    eq = np.cumprod(1.0 + r)
    dd = eq / np.maximum.accumulate(np.maximum(eq, 1.0)) - 1.0

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    a1.plot(ts, eq, lw=1.2)
    a1.set_ylabel("equity (start = 1)")
    a1.grid(alpha=0.3)
    a2.fill_between(ts, dd, 0, color="tab:red", alpha=0.5)
    a2.set_ylabel("drawdown")
    a2.grid(alpha=0.3)
    figs.append(("equity", "Equity and drawdown", fig))

    monthly = (
        returns.with_columns(pl.col("return").fill_null(0.0))
        .group_by(pl.col("ts").dt.year().alias("year"), pl.col("ts").dt.month().alias("month"))
        .agg(((pl.col("return") + 1).product() - 1).alias("r"))
        .sort("year", "month")
    )
    if monthly.height:
        years = sorted(set(monthly["year"].to_list()))
        grid = np.full((len(years), 12), np.nan)
        for y, m, v in monthly.iter_rows():
            grid[years.index(y), m - 1] = v
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(years) + 1.2))
        lim = float(np.nanmax(np.abs(grid))) or 1.0
        im = ax.imshow(grid, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(12), ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"])
        ax.set_yticks(range(len(years)), [str(y) for y in years])
        for i in range(len(years)):
            for j in range(12):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j] * 100:.1f}", ha="center", va="center", fontsize=7)
        fig.colorbar(im, ax=ax, fraction=0.03)
        figs.append(("monthly", "Monthly returns (%)", fig))

    win = int(min(126, max(len(r) // 4, 5)))
    if len(r) > win:
        s = pl.Series(r)
        roll = (s.rolling_mean(win) / s.rolling_std(win) * math.sqrt(periods_per_year)).to_numpy()
        fig, ax = plt.subplots(figsize=(9, 2.6))
        ax.plot(ts, roll, lw=1)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_ylabel(f"rolling Sharpe ({win})")
        ax.grid(alpha=0.3)
        figs.append(("rolling_sharpe", "Rolling Sharpe ratio", fig))

    if walk_forward and walk_forward.get("windows"):
        w = walk_forward["windows"]
        fig, ax = plt.subplots(figsize=(9, 2.8))
        x = np.arange(len(w))
        ax.bar(x - 0.2, [v["is_sharpe"] for v in w], 0.4, label="in-sample")
        ax.bar(x + 0.2, [v["oos_sharpe"] for v in w], 0.4, label="out-of-sample")
        ax.set_xlabel("window")
        ax.set_ylabel("Sharpe")
        ax.legend()
        ax.grid(alpha=0.3)
        figs.append(("walk_forward", "Walk-forward windows", fig))

    if pbo_logits is not None and len(pbo_logits):
        fig, ax = plt.subplots(figsize=(9, 2.8))
        finite = pbo_logits[np.isfinite(pbo_logits)]
        ax.hist(finite, bins=40, color="tab:purple", alpha=0.8)
        ax.axvline(0, color="k", lw=1)
        ax.set_xlabel("logit of the in-sample winner's out-of-sample relative rank")
        figs.append(("pbo_logits", "PBO: logit distribution", fig))

    written: list[Path] = []
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}",
        "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}",
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}",
        "img{max-width:100%}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}",
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if params:
        parts += ["<h2>Parameters</h2>", _kv(params)]
    parts += ["<h2>Performance</h2>", _kv(metrics)]
    for name, caption, fig in figs:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        png = out.with_name(f"{out.stem}_{name}.png")
        png.write_bytes(buf.getvalue())
        written.append(png)
        b64 = base64.b64encode(buf.getvalue()).decode("ascii")
        parts += [f"<h2>{html.escape(caption)}</h2>", f"<img alt='{name}' src='data:image/png;base64,{b64}'>"]
        if name == "walk_forward" and walk_forward:
            rows = [{k: v for k, v in w.items()} for w in walk_forward["windows"]]
            parts += [_table(rows), _kv({"walk_forward_efficiency": walk_forward.get("walk_forward_efficiency")})]
        if name == "pbo_logits" and pbo_summary:
            parts.append(_kv(pbo_summary))
    if statistics:
        parts += ["<h2>Selection statistics (PSR, DSR, MinTRL)</h2>", _kv(statistics)]
    if trades is not None and trades.height:
        by = (
            trades.group_by("exit_reason")
            .agg(
                pl.len().alias("trades"),
                pl.col("return").mean().alias("avg_return"),
                (pl.col("return") > 0).mean().alias("hit_rate"),
                pl.col("pnl").sum().alias("pnl"),
            )
            .sort("exit_reason")
        )
        parts += ["<h2>Trade statistics</h2>", _table(by.to_dicts())]
    if robustness:
        parts.append("<h2>Robustness</h2>")
        if "cost_sensitivity" in robustness:
            parts += ["<h3>Cost sensitivity</h3>", _table(robustness["cost_sensitivity"])]
        if "bootstrap" in robustness:
            parts += ["<h3>Stationary-bootstrap intervals</h3>", _kv(robustness["bootstrap"])]
        if "neighborhood" in robustness:
            parts += ["<h3>Parameter neighbourhood</h3>", _kv(robustness["neighborhood"])]
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return [out, *written]
