"""Lake overheads against the raw libraries, in the same run.

1. Ingest of 1M daily bars from Parquet (`trade2026.lake.ingest`: read, validate, write) versus a
   bare `deltalake.write_deltalake` of the same frame. Target: within 1.5x.
2. A group-by over 2M bars through `Lake.sql` (and the `t26 sql` command in-process) versus DuckDB
   on the same arrow dataset. Target: within 1.2x.

Run: python benchmarks/bench_lake.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl


def frame(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n_sym = 400
    per = n // n_sym
    days = np.datetime64("1990-01-01", "D") + np.arange(per)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (per, n_sym)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.003, close.shape))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    return pl.DataFrame(
        {
            "symbol": np.repeat([f"S{i:04d}" for i in range(n_sym)], per),
            "ts": np.tile(days.astype("datetime64[us]"), n_sym),
            "open": open_.T.ravel(),
            "high": high.T.ravel(),
            "low": low.T.ravel(),
            "close": close.T.ravel(),
            "volume": rng.integers(1000, 10**6, n_sym * per).astype(np.float64),
        }
    ).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import duckdb
    from deltalake import DeltaTable, write_deltalake

    from trade2026.lake import Lake, ingest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        df = frame(args.rows)
        src = root / "bars.parquet"
        df.write_parquet(src)
        counter = iter(range(1000))

        def ours() -> None:
            ingest(Lake(root / f"h{next(counter)}"), [src], table="bars_1d")

        def bare() -> None:
            write_deltalake(str(root / f"bare{next(counter)}"), pl.read_parquet(src).to_arrow(), mode="error")

        t_bare = best(bare, args.repeat)
        t_ours = best(ours, args.repeat)
        print(
            f"ingest {df.height:,} bars from Parquet: t26 {t_ours:6.3f}s  bare write_deltalake {t_bare:6.3f}s  ratio {t_ours / t_bare:5.2f}x (target <= 1.5x)"
        )

        lake = Lake(root / "q")
        big = pl.concat([df, frame(args.rows, seed=1).with_columns(pl.col("symbol") + "b")])
        lake.write("bars_1d", big, mode="append")
        query = "SELECT symbol, avg(close) AS c, max(high) AS h, sum(volume) AS v FROM bars_1d GROUP BY symbol"
        dataset = DeltaTable(lake.path("bars_1d")).to_pyarrow_dataset()

        def raw() -> None:
            con = duckdb.connect()
            con.register("bars_1d", dataset)
            con.sql(query).pl()
            con.close()

        def via_lake() -> None:
            Lake(root / "q").sql(query)

        from typer.testing import CliRunner

        from commands.main import app

        runner = CliRunner()

        def via_cli() -> None:
            r = runner.invoke(app, ["sql", query, "--json", "--home", str(root / "q")])
            assert r.exit_code == 0, r.output

        t_raw = statistics.median([best(raw, 1) for _ in range(args.repeat + 2)])
        t_lake = statistics.median([best(via_lake, 1) for _ in range(args.repeat + 2)])
        t_cli = statistics.median([best(via_cli, 1) for _ in range(args.repeat + 2)])
        print(
            f"group-by over {big.height:,} bars: Lake.sql {t_lake:6.3f}s  raw DuckDB on the arrow dataset {t_raw:6.3f}s  ratio {t_lake / t_raw:5.2f}x (target <= 1.2x)"
        )
        print(
            f"  the same through `t26 sql --json` in-process (render included): {t_cli:6.3f}s  ratio {t_cli / t_raw:5.2f}x"
        )


if __name__ == "__main__":
    main()
