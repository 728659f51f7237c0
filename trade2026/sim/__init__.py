"""Market simulation and Monte Carlo validation.

``trade2026.sim.prism`` is the agent-based market with a limit order book; this package holds the
analytics that apply to any market, simulated or real: Monte Carlo validation of a strategy or a
returns series (:func:`monte_carlo`, what ``t26 sim mc`` does), the stylized facts of a bars table
and GARCH(1,1).
"""

from trade2026.sim._facts import Fact, FactsReport, stylized_facts
from trade2026.sim._garch import Garch11, fit_garch
from trade2026.sim._mc import ALL_METHODS, METHODS, McReport, monte_carlo
from trade2026.sim._resample import reshuffle_trades, risk_of_ruin, risk_of_ruin_closed_form, trades_per_year
from trade2026.sim._series import returns_series
from trade2026.sim._summary import METRICS, McResult
from trade2026.sim._synthetic import MODELS, synthetic_returns

__all__ = [
    "ALL_METHODS",
    "Fact",
    "FactsReport",
    "Garch11",
    "METHODS",
    "METRICS",
    "MODELS",
    "McReport",
    "McResult",
    "fit_garch",
    "monte_carlo",
    "reshuffle_trades",
    "returns_series",
    "risk_of_ruin",
    "risk_of_ruin_closed_form",
    "stylized_facts",
    "synthetic_returns",
    "trades_per_year",
]
