"""Sample-universe generator, dataset recipes and the optional yfinance source."""

from trade2026.datasets._recipes import build_recipe, load_recipe
from trade2026.datasets._sample import SECTORS, SampleData, SampleSpec, check_sample_targets, generate, write_sample
from trade2026.datasets._yfinance import fetch_yfinance, from_yfinance_frame

__all__ = [
    "SECTORS",
    "SampleData",
    "SampleSpec",
    "build_recipe",
    "check_sample_targets",
    "fetch_yfinance",
    "from_yfinance_frame",
    "generate",
    "load_recipe",
    "write_sample",
]
