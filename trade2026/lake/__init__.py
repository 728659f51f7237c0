"""The local lake: Delta tables read as polars frames or through DuckDB SQL, ingest and bars."""

from trade2026.lake._bars import BarSpec, bars_from_ticks, bars_from_trades, build_bars
from trade2026.lake._ingest import IngestOptions, IngestResult, ingest, read_files, write_ticks
from trade2026.lake._lake import Lake, WriteResult
from trade2026.lake._schema import (
    BAR_COLUMNS,
    BAR_KEYS,
    TICK_COLUMNS,
    check_table_name,
    validate_bars,
    validate_ticks,
)
from trade2026.lake._slice import LakeSlice

__all__ = [
    "BAR_COLUMNS",
    "BAR_KEYS",
    "BarSpec",
    "IngestOptions",
    "IngestResult",
    "Lake",
    "LakeSlice",
    "TICK_COLUMNS",
    "WriteResult",
    "bars_from_ticks",
    "bars_from_trades",
    "build_bars",
    "check_table_name",
    "ingest",
    "read_files",
    "validate_bars",
    "validate_ticks",
    "write_ticks",
]
