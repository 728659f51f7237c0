"""One report module and one style for every HTML report (backtest, walk-forward, portfolio, factors, Monte Carlo).

- a figure is a specification (:class:`Figure` of :class:`Axes` rows holding :class:`Line`,
  :class:`Bars`, :class:`Markers`, :class:`Band`, :class:`Histogram`, :class:`Heatmap`,
  :class:`Rule` traces), drawn by plotly on the page and by matplotlib as PNG
  (:func:`figure_png`, :func:`save_png`) from the same data;
- a page is a :class:`Report` (title naming the subject, a ``meta`` header with symbols, dates,
  costs and settings) of :class:`Section` objects (each may name its ``basis``) holding tables and
  figures; :meth:`Report.write` writes one self-contained HTML file (plotly.js embedded once, no
  CDN) and every figure as ``<stem>_<key>.png`` beside it;
- numbers read the same everywhere: returns and other fractions of capital as percentages
  (:func:`is_percent`, :func:`format_value`);
- the standard figures of a returns series: :func:`equity_figure` (with a benchmark's curve and the
  excess-return curve), :func:`drawdowns_figure`, :func:`monthly_heatmap`, :func:`yearly_figure`,
  :func:`rolling_figure`, :func:`distribution_figure`, plus :func:`fan_chart`,
  :func:`heatmap_figure`, :func:`scatter_figure`, :func:`bars_figure`, :func:`price_trades_figure`.

plotly and matplotlib are imported only when a page or a PNG is drawn, never on import.

Examples
--------
>>> from trade2026.reports import Report, equity_figure          # doctest: +SKIP
>>> rep = Report("My strategy on AAPL", meta={"period": "2020-01-02 .. 2024-12-31"})
>>> rep.section("Performance", basis="full period").metrics({"sharpe": 1.1, "total_return": 0.42})
>>> rep.section("Equity").figure(equity_figure(ts, returns))
>>> rep.write("report.html")                                      # report.html, report_equity.png
"""

from trade2026.reports._figures import (
    bars_figure,
    distribution_figure,
    drawdowns_figure,
    equity_figure,
    fan_chart,
    heatmap_figure,
    monthly_heatmap,
    price_trades_figure,
    rolling_figure,
    scatter_figure,
    yearly_figure,
)
from trade2026.reports._format import PERCENT_METRICS, format_value, is_percent
from trade2026.reports._mpl import figure_png, save_png
from trade2026.reports._page import Report, Section, metrics_rows, table_html
from trade2026.reports._spec import PALETTE, Axes, Band, Bars, Figure, Heatmap, Histogram, Line, Markers, Rule

__all__ = [
    "Axes",
    "Band",
    "Bars",
    "Figure",
    "Heatmap",
    "Histogram",
    "Line",
    "Markers",
    "PALETTE",
    "PERCENT_METRICS",
    "Report",
    "Rule",
    "Section",
    "bars_figure",
    "distribution_figure",
    "drawdowns_figure",
    "equity_figure",
    "fan_chart",
    "figure_png",
    "format_value",
    "heatmap_figure",
    "is_percent",
    "metrics_rows",
    "monthly_heatmap",
    "price_trades_figure",
    "rolling_figure",
    "save_png",
    "scatter_figure",
    "table_html",
    "yearly_figure",
]
