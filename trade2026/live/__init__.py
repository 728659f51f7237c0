"""The live (paper) trading loop of ``t26 serve``: risk, order state machine, journal, positions, venues.

One :class:`TradingEngine` per run: every order passes :class:`RiskEngine`, is journaled (fsync'd,
before it is sent) and follows the transition table of :data:`TRANSITIONS`; fills are applied once
(by trade id) to a :class:`Portfolio`. On restart the engine replays its journal and reconciles with
the venue before it sends anything. :func:`replay_paper` trades a backtest strategy on the
in-process :class:`PaperVenue` over lake bars, filling as ``run_backtest`` does; a strategy is a
backtest spec or a registered model (:func:`load_model_strategy`).
"""

from trade2026.live._api import create_app
from trade2026.live._api_client import ApiClient
from trade2026.live._api_server import ApiServer, ApiSettings, api_settings, read_token
from trade2026.live._ccxt import CcxtVenue
from trade2026.live._control import Control
from trade2026.live._engine import Reconciliation, TradingEngine
from trade2026.live._journal import Journal
from trade2026.live._models import ModelStrategy, load_model_strategy
from trade2026.live._orders import STATUSES, TERMINAL, TRANSITIONS, ClientIds, Order, is_legal_path, transition
from trade2026.live._portfolio import Fill, Portfolio, Position
from trade2026.live._prism import PrismClient
from trade2026.live._replay import ReplayResult, replay_paper, target_shares
from trade2026.live._risk import REASONS, Denial, RiskEngine, RiskLimits, TokenBucket, load_risk
from trade2026.live._serve import ServeResult, serve
from trade2026.live._sink import LakeSink
from trade2026.live._venue import PaperVenue, Venue

__all__ = [
    "ApiClient",
    "ApiServer",
    "ApiSettings",
    "CcxtVenue",
    "ClientIds",
    "Control",
    "Denial",
    "Fill",
    "Journal",
    "LakeSink",
    "ModelStrategy",
    "Order",
    "PaperVenue",
    "Portfolio",
    "Position",
    "PrismClient",
    "REASONS",
    "Reconciliation",
    "ReplayResult",
    "RiskEngine",
    "RiskLimits",
    "STATUSES",
    "ServeResult",
    "TERMINAL",
    "TRANSITIONS",
    "TokenBucket",
    "TradingEngine",
    "Venue",
    "api_settings",
    "create_app",
    "is_legal_path",
    "load_model_strategy",
    "load_risk",
    "read_token",
    "replay_paper",
    "serve",
    "target_shares",
    "transition",
]
