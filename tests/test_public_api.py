"""Pin the public names of the foundation so a change to them is deliberate."""

from __future__ import annotations

import trade2026
import trade2026.datasets
import trade2026.lake
import trade2026.parallel
import trade2026.tracking


def test_lake_public_names() -> None:
    assert trade2026.lake.__all__ == [
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


def test_datasets_public_names() -> None:
    assert trade2026.datasets.__all__ == [
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


def test_top_level_and_modules() -> None:
    assert trade2026.__all__ == [
        "ConfigError",
        "DataError",
        "NotFoundError",
        "T26Error",
        "__version__",
        "dumps",
        "json_default",
        "set_compile_listener",
    ]
    assert trade2026.parallel.__all__ == ["EXECUTORS", "run_tasks"]
    assert trade2026.tracking.__all__ == [
        "EXPERIMENT",
        "RETURNS_ARTIFACT",
        "NullRun",
        "Run",
        "compare_runs",
        "download_model",
        "get_model_version",
        "get_run",
        "list_models",
        "list_runs",
        "model_versions",
        "null_run",
        "optuna_storage",
        "parse_model_ref",
        "promote_model",
        "register_model",
        "resolve_run_id",
        "set_model_alias",
        "start_run",
    ]
    for mod in (trade2026.lake, trade2026.datasets):
        assert mod.__all__ == sorted(mod.__all__)
        for name in mod.__all__:
            assert hasattr(mod, name)
