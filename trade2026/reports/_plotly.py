"""Figure specifications drawn with plotly for the HTML page (plotly imported only when a page is built)."""

from __future__ import annotations

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

_SYMBOLS = {"circle": "circle", "triangle-up": "triangle-up", "triangle-down": "triangle-down", "x": "x"}


def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly, to embed once in a page."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _heat_text(z: np.ndarray, percent: bool, decimals: int) -> list[list[str]]:
    scale = 100.0 if percent else 1.0
    suffix = "%" if percent else ""
    return [[f"{v * scale:.{decimals}f}{suffix}" if np.isfinite(v) else "" for v in row] for row in z]


def _trace(t: Any, i: int) -> list[Any]:
    import plotly.graph_objects as go

    color = color_of(t, i)
    show = bool(getattr(t, "name", ""))
    if isinstance(t, Line):
        return [
            go.Scatter(
                x=_values(t.x),
                y=_values(t.y),
                name=t.name,
                mode="lines",
                showlegend=show,
                line={"color": color, "width": t.width, "dash": "dash" if t.dash else "solid"},
                fill="tozeroy" if t.fill else None,
            )
        ]
    if isinstance(t, Bars):
        y = _values(t.y)
        colors: Any = [UP if (v or 0) >= 0 else DOWN for v in y] if t.signed else color
        return [go.Bar(x=_values(t.x), y=y, name=t.name, showlegend=show, marker={"color": colors})]
    if isinstance(t, Markers):
        text = _values(t.text) if t.text is not None else None
        return [
            go.Scatter(
                x=_values(t.x),
                y=_values(t.y),
                name=t.name,
                mode="markers",
                showlegend=show,
                text=text,
                hoverinfo="text+x+y" if text else None,
                marker={"color": color, "symbol": _SYMBOLS.get(t.symbol, "circle"), "size": t.size},
            )
        ]
    if isinstance(t, Band):
        x = _values(t.x)
        return [
            go.Scatter(x=x, y=_values(t.hi), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
            go.Scatter(
                x=x,
                y=_values(t.lo),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(color, t.opacity),
                name=t.name,
                showlegend=show,
            ),
        ]
    if isinstance(t, Histogram):
        v = np.asarray(_values(t.values), dtype=float)
        v = v[np.isfinite(v)]
        return [
            go.Histogram(
                x=v,
                nbinsx=t.bins,
                name=t.name,
                showlegend=show,
                marker={"color": color},
                opacity=0.6,
                histnorm="probability density" if t.density else None,
            )
        ]
    if isinstance(t, Heatmap):
        z = np.asarray(t.z, dtype=float)
        finite = z[np.isfinite(z)]
        lim = float(np.abs(finite).max()) if finite.size else 1.0
        return [
            go.Heatmap(
                z=[[float(v) if np.isfinite(v) else None for v in row] for row in z],
                x=[str(v) for v in _values(t.x)],
                y=[str(v) for v in _values(t.y)],
                text=_heat_text(z, t.percent, t.decimals),
                texttemplate="%{text}",
                colorscale="RdYlGn" if t.diverging else "Viridis",
                zmid=0.0 if t.diverging else None,
                zmin=-lim if t.diverging else None,
                zmax=lim if t.diverging else None,
                hoverongaps=False,
                name=t.name,
            )
        ]
    raise TypeError(f"not a trace: {t!r}")  # pragma: no cover - the spec's union is closed


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def to_plotly(fig: Figure) -> Any:
    """The plotly ``Figure`` of a specification."""
    from plotly.subplots import make_subplots

    rows = len(fig.axes)
    total = sum(a.height for a in fig.axes)
    pf = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=fig.share_x,
        vertical_spacing=0.06 if rows > 1 else 0.0,
        row_heights=[a.height / total for a in fig.axes],
    )
    k = 0
    for row, ax in enumerate(fig.axes, start=1):
        for t in ax.traces:
            if isinstance(t, Rule):
                style = {"line_color": t.color, "line_dash": "dash" if t.dash else "solid", "line_width": 1}
                if t.y is not None:
                    pf.add_hline(y=t.y, row=row, col=1, **style)
                if t.x is not None:
                    pf.add_vline(x=t.x, row=row, col=1, **style)
                continue
            for tr in _trace(t, k):
                pf.add_trace(tr, row=row, col=1)
            k += 1
        pf.update_yaxes(
            title_text=ax.y_label,
            tickformat=".1%" if ax.y_percent else None,
            type="log" if ax.log_y else None,
            autorange="reversed" if any(isinstance(t, Heatmap) for t in ax.traces) else None,  # first row on top
            row=row,
            col=1,
        )
        pf.update_xaxes(
            title_text=ax.x_label or None,
            tickformat=".1%" if ax.x_percent else None,
            type="category" if ax.categorical_x else None,
            row=row,
            col=1,
        )
    pf.update_layout(
        height=fig.height,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        template="plotly_white",
        barmode="group",
        legend={"orientation": "h", "y": 1.08, "x": 0},
        hovermode="x unified"
        if fig.share_x and not any(isinstance(t, Heatmap) for a in fig.axes for t in a.traces)
        else "closest",
    )
    return pf


def figure_div(fig: Figure) -> str:
    """The figure as an HTML ``<div>`` that uses the page's one embedded plotly.js (no CDN)."""
    import plotly.io as pio

    return str(
        pio.to_html(
            to_plotly(fig),
            full_html=False,
            include_plotlyjs=False,
            div_id=f"fig-{fig.key}",
            config={"displaylogo": False, "responsive": True},
        )
    )
