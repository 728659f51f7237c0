"""Figure specifications drawn with matplotlib (Agg) as PNG: the static twin of the HTML figure.

Why matplotlib and not plotly's own image export: plotly writes PNG through kaleido, which drives a
headless Chrome, so every PNG would need a browser installed and started. matplotlib is already a
dependency, renders in-process without a display, and draws the same :class:`Figure` specification,
so the PNG for a notebook or an MLflow artifact shows the same data as the interactive chart.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from trade2026.reports._spec import (
    DOWN,
    UP,
    Band,
    Bars,
    Figure,
    Heatmap,
    Histogram,
    Line,
    Markers,
    Rule,
    _values,
    color_of,
)

_MARKERS = {"circle": "o", "triangle-up": "^", "triangle-down": "v", "x": "x"}
_DPI = 110


def _x(values: Any, categorical: bool) -> Any:
    v = _values(values)
    if categorical:
        return np.arange(len(v)), [str(x) for x in v]
    return v, None


def _draw(ax: Any, t: Any, i: int, categorical: bool) -> None:
    color = color_of(t, i)
    label = getattr(t, "name", "") or None
    if isinstance(t, Rule):
        style = {"color": t.color, "lw": 0.8, "ls": "--" if t.dash else "-"}
        if t.y is not None:
            ax.axhline(t.y, **style)
        if t.x is not None:
            ax.axvline(t.x, **style)
        return
    if isinstance(t, Line):
        x, ticks = _x(t.x, categorical)
        y = np.asarray(_values(t.y), dtype=float)
        ax.plot(x, y, color=color, lw=t.width, ls="--" if t.dash else "-", label=label)
        if t.fill:
            ax.fill_between(x, y, 0, color=color, alpha=0.35, lw=0)
    elif isinstance(t, Bars):
        x, ticks = _x(t.x, True) if categorical else (_values(t.x), None)
        y = np.asarray([np.nan if v is None else v for v in _values(t.y)], dtype=float)
        colors: Any = [UP if v >= 0 else DOWN for v in np.nan_to_num(y)] if t.signed else color
        if ticks is not None:
            width = 0.4 if t.offset else 0.8
            ax.bar(np.asarray(x) + t.offset * width, y, width, color=colors, label=label)
        else:
            ax.bar(x, y, color=colors, label=label)
    elif isinstance(t, Markers):
        x, ticks = _x(t.x, categorical)
        ax.scatter(x, _values(t.y), color=color, marker=_MARKERS.get(t.symbol, "o"), s=t.size**2, label=label, zorder=3)
    elif isinstance(t, Band):
        x, ticks = _x(t.x, categorical)
        lo = np.asarray(_values(t.lo), dtype=float)
        hi = np.asarray(_values(t.hi), dtype=float)
        ax.fill_between(x, lo, hi, color=color, alpha=t.opacity, lw=0, label=label)
    elif isinstance(t, Histogram):
        v = np.asarray(_values(t.values), dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            ax.hist(v, bins=t.bins, color=color, alpha=0.6, density=t.density, label=label)
        ticks = None
    elif isinstance(t, Heatmap):
        _heatmap(ax, t)
        return
    else:  # pragma: no cover - the spec's union is closed
        raise TypeError(f"not a trace: {t!r}")
    if ticks is not None:
        step = max(1, math.ceil(len(ticks) / 14))
        ax.set_xticks(np.arange(len(ticks))[::step], ticks[::step], rotation=30, ha="right", fontsize=7)


def _heatmap(ax: Any, t: Heatmap) -> None:
    z = np.asarray(t.z, dtype=float)
    finite = z[np.isfinite(z)]
    lim = float(np.abs(finite).max()) if finite.size else 1.0
    kw = {"cmap": "RdYlGn", "vmin": -lim, "vmax": lim} if t.diverging else {"cmap": "viridis"}
    im = ax.imshow(np.ma.masked_invalid(z), aspect="auto", **kw)
    xs = [str(v) for v in _values(t.x)]
    ys = [str(v) for v in _values(t.y)]
    ax.set_xticks(range(len(xs)), xs, fontsize=7)
    ax.set_yticks(range(len(ys)), ys, fontsize=7)
    if z.size <= 400:
        scale, suffix = (100.0, "%") if t.percent else (1.0, "")
        for (i, j), v in np.ndenumerate(z):
            if np.isfinite(v):
                ax.text(j, i, f"{v * scale:.{t.decimals}f}{suffix}", ha="center", va="center", fontsize=6)
    ax.figure.colorbar(im, ax=ax, fraction=0.03)


def to_matplotlib(fig: Figure) -> Any:
    """The matplotlib ``Figure`` of a specification (Agg canvas, never shown)."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import PercentFormatter

    heights = [a.height for a in fig.axes]
    mf = MplFigure(figsize=(9.5, max(2.4, fig.height / 100 * 0.85)), layout="constrained")
    axs = mf.subplots(len(fig.axes), 1, sharex=fig.share_x and len(fig.axes) > 1, height_ratios=heights, squeeze=False)
    k = 0
    for ax, spec in zip(axs[:, 0], fig.axes, strict=True):
        for t in spec.traces:
            _draw(ax, t, k, spec.categorical_x)
            if not isinstance(t, Rule):
                k += 1
        ax.set_ylabel(spec.y_label, fontsize=8)
        if spec.x_label:
            ax.set_xlabel(spec.x_label, fontsize=8)
        if spec.y_percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if spec.x_percent:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if spec.log_y:
            ax.set_yscale("log")
        if not any(isinstance(t, Heatmap) for t in spec.traces):
            ax.grid(alpha=0.3)
            if any(getattr(t, "name", "") for t in spec.traces):
                ax.legend(fontsize=7, loc="best")
        ax.tick_params(labelsize=7)
    mf.suptitle(fig.title, fontsize=10)
    return mf


def figure_png(fig: Figure, *, dpi: int = _DPI) -> bytes:
    """The figure as PNG bytes (matplotlib, no display and no browser needed)."""
    buf = io.BytesIO()
    to_matplotlib(fig).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def save_png(fig: Figure, path: str | Path, *, dpi: int = _DPI) -> Path:
    """Write the figure as a PNG at ``path`` (its folder is created); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(figure_png(fig, dpi=dpi))
    return out
