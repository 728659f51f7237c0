"""Market simulation and Monte Carlo validation.

``trade2026.sim.prism`` is the agent-based market with a limit order book; this package holds the
analytics that apply to any market, simulated or real: stylized facts of a bars table and GARCH(1,1).
"""

from trade2026.sim._facts import Fact, FactsReport, stylized_facts
from trade2026.sim._garch import Garch11, fit_garch

__all__ = ["Fact", "FactsReport", "Garch11", "fit_garch", "stylized_facts"]
