"""The local lake: Delta tables read as polars frames or through DuckDB SQL, ingest and bars."""

from trade2026.lake._lake import Lake, WriteResult
from trade2026.lake._schema import (
    BAR_COLUMNS,
    BAR_KEYS,
    TICK_COLUMNS,
    check_table_name,
    validate_bars,
    validate_ticks,
)

__all__ = [
    "BAR_COLUMNS",
    "BAR_KEYS",
    "TICK_COLUMNS",
    "Lake",
    "WriteResult",
    "check_table_name",
    "validate_bars",
    "validate_ticks",
]
