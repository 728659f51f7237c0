"""PRISM: an agent-based market with a limit order book."""

from trade2026.sim.prism._book import depth, new_book, resting_queues, run_stream
from trade2026.sim.prism._reference import ReferenceBook

__all__ = ["ReferenceBook", "depth", "new_book", "resting_queues", "run_stream"]
