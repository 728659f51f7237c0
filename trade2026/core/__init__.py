"""Building blocks every domain shares, one implementation each.

- frames in and out (:func:`to_polars`, :func:`like_input`): pandas, polars, arrow;
- the (bars x symbols) :class:`Panel` (:func:`bars_panel`, :func:`pivot`, :func:`panel_to_long`);
- returns metrics over 1-D series and 2-D (n_obs, n_trials) matrices (:func:`returns_metrics`,
  :func:`metrics_columns`), with their definitions and edge cases in one docstring, and the
  quantstats set over one series (:func:`risk_metrics`, :func:`benchmark_metrics`,
  :func:`rolling_metrics`, :func:`drawdown_table`, :func:`period_returns`);
- the stationary bootstrap (:func:`stationary_bootstrap`, :func:`optimal_block_length`), seeded
  through :class:`numpy.random.Generator` only;
- the equal-weight universe index (:func:`equal_weight_index`, :func:`equal_weight_returns`);
- per-symbol workflows' bars and saves (:func:`bars_by_symbol`, :func:`save_rows`, :func:`metric_key`);
- periods per year from the bars' spacing and calendar (:func:`periods_per_year`, :func:`bar_calendar`);
- the normal distribution without ``scipy.stats`` (:func:`norm_cdf`, :func:`norm_ppf`).

Domain packages (backtest, sim, portfolio, factors, rl, live) import these instead of each other's
private modules.
"""

from trade2026.core._bootstrap import optimal_block_length, stationary_bootstrap, stationary_bootstrap_indices
from trade2026.core._calendar import BarCalendar, bar_calendar, check_periods_per_year, periods_per_year
from trade2026.core._frames import like_input, require_columns, to_polars
from trade2026.core._index import equal_weight_index, equal_weight_returns
from trade2026.core._metrics import (
    MATRIX_METRICS,
    as_array,
    as_datetimes,
    benchmark_metrics,
    drawdown,
    drawdown_table,
    max_drawdown,
    metrics_columns,
    moments,
    period_returns,
    returns_metrics,
    risk_metrics,
    rolling_metrics,
    sharpe_ratio,
)
from trade2026.core._panel import (
    BAR_COLUMNS,
    PRICE_COLUMNS,
    Panel,
    bars_panel,
    ffill,
    panel_to_long,
    pivot,
    simple_returns,
)
from trade2026.core._sizing import SIZING_FRACTION, SIZING_NOTIONAL, target_shares_nb
from trade2026.core._stats import norm_cdf, norm_ppf
from trade2026.core._symbols import bars_by_symbol, check_save, metric_key, save_rows

__all__ = [
    "BAR_COLUMNS",
    "BarCalendar",
    "MATRIX_METRICS",
    "PRICE_COLUMNS",
    "Panel",
    "SIZING_FRACTION",
    "SIZING_NOTIONAL",
    "as_array",
    "as_datetimes",
    "bar_calendar",
    "bars_by_symbol",
    "bars_panel",
    "benchmark_metrics",
    "check_periods_per_year",
    "check_save",
    "drawdown",
    "drawdown_table",
    "equal_weight_index",
    "equal_weight_returns",
    "ffill",
    "like_input",
    "max_drawdown",
    "metric_key",
    "metrics_columns",
    "moments",
    "norm_cdf",
    "norm_ppf",
    "optimal_block_length",
    "panel_to_long",
    "period_returns",
    "periods_per_year",
    "pivot",
    "require_columns",
    "returns_metrics",
    "risk_metrics",
    "rolling_metrics",
    "save_rows",
    "sharpe_ratio",
    "simple_returns",
    "stationary_bootstrap",
    "stationary_bootstrap_indices",
    "target_shares_nb",
    "to_polars",
]
