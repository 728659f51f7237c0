"""Sample-universe generator and dataset recipes."""

from trade2026.datasets._sample import SECTORS, SampleData, SampleSpec, generate, write_sample

__all__ = ["SECTORS", "SampleData", "SampleSpec", "generate", "write_sample"]
