"""The local lake: Delta tables under ``<home>/lake/<table>``, read as polars or SQL (DuckDB)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trade2026.errors import ConfigError, DataError, InputError, LakeError, NotFoundError
from trade2026.lake._schema import check_keys as _check_keys
from trade2026.lake._schema import check_table_name

if TYPE_CHECKING:
    import polars as pl
    import pyarrow.dataset as pads

WriteMode = Literal["append", "overwrite", "merge"]
MAX_RETRIES = 50
SOURCE_KEY = "t26.source"


@dataclass(frozen=True)
class WriteResult:
    """What a write did: rows inserted and updated, and the table version it produced."""

    table: str
    mode: str
    rows: int
    inserted: int
    updated: int
    deleted: int
    version: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _to_polars(df: Any) -> pl.DataFrame:
    """The frame to write, as polars (pandas, polars, lazy, arrow or a dict of columns)."""
    from trade2026.core import to_polars

    return to_polars(df, what="a table to write")[0]


def _is_commit_conflict(exc: BaseException) -> bool:
    from deltalake.exceptions import CommitFailedError

    if isinstance(exc, CommitFailedError):
        return True
    text = str(exc).lower()
    if "a table already exists" in text:  # another writer created the table after our exists() check
        return True
    return "version" in text and ("already exists" in text or "conflict" in text)


class Lake:
    """A lake of Delta tables.

    Parameters
    ----------
    home : path, optional
        The Trade2026 home directory; the lake lives in ``<home>/lake``. Defaults to the resolved
        settings (``T26_HOME`` or ``~/.t26``).
    root : str, optional
        The lake root itself (a local path or an object-store URI such as ``s3://bucket/lake``);
        overrides ``home``.
    storage_options : dict, optional
        Passed to deltalake for object stores (credentials, endpoint).
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        storage_options: dict[str, str] | None = None,
    ) -> None:
        if root is None:
            if home is None:
                from trade2026.config import load_settings

                root = load_settings().lake_root
            else:
                root = Path(home).expanduser() / "lake"
        self.root = str(root)
        self.storage_options = storage_options
        self._local = "://" not in self.root or self.root.startswith("file://")

    def __repr__(self) -> str:
        return f"Lake({self.root!r})"

    # -- paths and catalogue -------------------------------------------------------------------
    def path(self, table: str) -> str:
        check_table_name(table)
        return f"{self.root.rstrip('/')}/{table}"

    def _check_store(self) -> None:
        """For an object-store lake: fail in seconds, naming the setting, when its endpoint does not
        answer (object stores retry a dead endpoint for minutes). Checked once per Lake."""
        if self._local or getattr(self, "_store_checked", False):
            return
        from urllib.parse import urlsplit

        from trade2026._net import unreachable

        opts = {k.lower(): v for k, v in (self.storage_options or {}).items()}
        endpoint = opts.get("aws_endpoint_url") or opts.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint and self.root.startswith(("s3://", "s3a://")):
            parts = urlsplit(endpoint)
            why = unreachable(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
            if why:
                msg = (
                    f"the object store of the lake {self.root} does not answer at {endpoint} ({why}); "
                    "fix AWS_ENDPOINT_URL (or the endpoint in the storage options) or start the store"
                )
                raise ConfigError(msg)
        self._store_checked = True

    def tables(self) -> list[str]:
        """Names of the Delta tables in the lake, sorted."""
        self._check_store()
        if self._local:
            base = Path(self.root.removeprefix("file://"))
            if not base.is_dir():
                return []
            return sorted(
                p.name for p in base.iterdir() if (p / "_delta_log").is_dir() and re.match(r"^[a-z][a-z0-9_]*$", p.name)
            )
        import pyarrow.fs as pafs

        try:
            fs, base_path = pafs.FileSystem.from_uri(self.root)
            infos = fs.get_file_info(pafs.FileSelector(base_path, allow_not_found=True))
        except OSError as exc:
            raise _store_error(self.root, exc) from exc
        names = [i.base_name for i in infos if i.type == pafs.FileType.Directory]
        return sorted(n for n in names if re.match(r"^[a-z][a-z0-9_]*$", n) and self.exists(n))

    def exists(self, table: str) -> bool:
        from deltalake import DeltaTable

        self._check_store()
        try:
            return bool(DeltaTable.is_deltatable(self.path(table), self.storage_options))
        except OSError as exc:
            raise _store_error(self.root, exc) from exc

    def _table(self, table: str, version: int | None = None, *, pin: bool = False) -> Any:
        from deltalake import DeltaTable

        if version is None:
            # Roll back abandoned multi-table writes first; a read (pin) of a table a live writer is
            # changing sees it as of before that write (see trade2026.lake._txn).
            pinned = self._settle([table])
            if pin:
                version = pinned.get(table)
        if not self.exists(table):
            have = self.tables()
            listing = ", ".join(have) if have else "none yet (try `t26 data sample`)"
            msg = f"no table {table!r} in the lake at {self.root}; tables: {listing}"
            raise NotFoundError(msg)
        try:
            return DeltaTable(self.path(table), version=version, storage_options=self.storage_options)
        except Exception as exc:
            if version is not None:
                msg = f"table {table!r} has no version {version}; see `t26 data history {table}`"
                raise NotFoundError(msg) from exc
            raise LakeError(f"cannot open table {table!r}: {exc}") from exc

    def _settle(self, tables: Sequence[str] | None = None, *, force: bool = False) -> dict[str, int]:
        """Roll back abandoned transactions touching ``tables``; the versions to read instead of the
        current one for tables a live transaction is writing (see :mod:`trade2026.lake._txn`)."""
        from trade2026.lake import _txn

        if _txn.busy():
            return {}
        if self._local:
            if not os.path.isdir(os.path.join(self.root.removeprefix("file://"), _txn.DIR)):
                return {}
        else:
            self._check_store()
        if not self._local and not force:
            seen: set[str] = self.__dict__.setdefault("_settled", set())
            key = ",".join(sorted(tables)) if tables is not None else "*"
            if key in seen:  # an object store: one listing per table and Lake, not one per read
                return {}
            seen.add(key)
        try:
            return _txn.settle(self, _txn.TxnStore(self), tables)
        except OSError as exc:
            raise _store_error(self.root, exc) from exc

    def transaction(
        self, name: str, *, tables: Sequence[str], predicate: str, keys: Sequence[str]
    ) -> contextlib.AbstractContextManager[Any]:
        """All-or-nothing replacement of the rows matching ``predicate`` in several ``tables``.

        Writers of the same ``keys`` (e.g. symbols) under the same ``name`` run one after the other;
        an exception inside the block, or a writer killed part way, puts every table's matching rows
        back as they were (a killed writer's rows are rolled back by the next reader or writer of
        the tables); readers never see a table half-way through the transaction. See
        :mod:`trade2026.lake._txn` for the mechanism and its limits on object stores.

        Examples
        --------
        ::

            with lake.transaction("prism", tables=["a", "b"], predicate="symbol IN ('X')", keys=["X"]):
                lake.write("a", frame_a, mode="overwrite", replace_where="symbol IN ('X')")
                lake.write("b", frame_b, mode="overwrite", replace_where="symbol IN ('X')")
        """
        from trade2026.lake import _txn

        return _txn.transaction(self, name, tables, predicate, keys)

    # -- reads ---------------------------------------------------------------------------------
    def dataset(self, table: str, *, version: int | None = None) -> pads.Dataset:
        """The table's current (or given) version as a pyarrow dataset."""
        return self._table(table, version, pin=True).to_pyarrow_dataset()

    def scan(self, table: str, *, version: int | None = None) -> pl.LazyFrame:
        """A polars LazyFrame over the table (filters and projections are pushed down)."""
        import polars as pl

        return pl.scan_delta(self._table(table, version, pin=True))

    def read(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        filters: Any = None,
        version: int | None = None,
    ) -> pl.DataFrame:
        """Read a table into a polars DataFrame.

        ``filters`` is a polars expression, or a list of ``(column, op, value)`` tuples with op one
        of ``= == != < <= > >= in``, combined with AND.
        """
        import polars as pl

        lf = self.scan(table, version=version)
        schema = lf.collect_schema()
        if filters is not None:
            lf = lf.filter(_filter_expr(filters, schema.names()))
        if columns is not None:
            unknown = [c for c in columns if c not in schema.names()]
            if unknown:
                msg = f"table {table!r} has no column(s) {', '.join(unknown)}; columns: {', '.join(schema.names())}"
                raise InputError(msg)
            lf = lf.select(columns)
        out = lf.collect()
        return out if isinstance(out, pl.DataFrame) else pl.DataFrame(out)

    def sql(self, query: str, *, limit: int | None = None, allow_files: bool = False) -> pl.DataFrame:
        """Run DuckDB SQL with every table (referenced by name) as a view over its Delta data.

        Read-only by default: DuckDB's external access is off and its configuration locked, so a
        query sees the lake's tables and nothing else on the machine: no ``COPY ... TO``, ``ATTACH``,
        ``EXPORT``, ``INSTALL``/``LOAD``, or ``read_csv``/``read_text`` of other files.
        ``allow_files=True`` lifts that (reading and writing files, at the user's risk: a ``COPY`` over
        a Delta log corrupts the table). ``limit`` returns at most that many rows without
        materialising the rest of the result.
        """
        import duckdb

        con = duckdb.connect(config={"enable_external_access": bool(allow_files)})
        try:
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query.lower()))
            tables = self.tables()
            for name in tables:
                if name in words:
                    con.register(name, self.dataset(name))
            con.execute("SET lock_configuration = true")
            try:
                rel = con.sql(query)
                if rel is not None and limit is not None:
                    rel = rel.limit(int(limit))
                if rel is None:
                    import polars as pl

                    return pl.DataFrame()
                return rel.pl()
            except duckdb.Error as exc:
                raise _sql_error(exc, tables) from exc
        finally:
            con.close()

    def read_bars(
        self,
        table: str = "bars_1d",
        *,
        symbols: Sequence[str] | None = None,
        universe: str | Sequence[str] | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        columns: Sequence[str] | None = None,
        missing: Literal["raise", "ignore"] = "raise",
    ) -> pl.DataFrame:
        """Bars of ``symbols`` (all when None) with ``start <= ts <= end``, sorted by (symbol, ts).

        Parameters
        ----------
        table : str
            A bars table (``symbol, ts, open, high, low, close, volume``).
        symbols : sequence of str, optional
            The symbols to read (every symbol in the table when None).
        universe : str or sequence of str, optional
            Instead of ``symbols``: ``"sector:NAME"`` (the members of a sector in the lake's
            ``symbols`` table), ``"AAA,BBB"`` or a list of symbols; see :meth:`resolve_universe`.
            Members of a sector without bars in the window are left out; a listed symbol follows
            ``missing``.
        start, end : datetime, optional
            The window, both ends inclusive.
        columns : sequence of str, optional
            Restricts the columns read (the canonical bar columns are always read).
        missing : {"raise", "ignore"}
            With ``"raise"`` a named symbol with no bars in the window is a NotFoundError; with
            ``"ignore"`` the others are returned. No bars at all in the window is a DataError.
        """
        import polars as pl

        from trade2026.lake._schema import BAR_COLUMNS

        if universe is not None and symbols is not None:
            msg = "give symbols or universe, not both"
            raise ConfigError(msg)
        if universe is not None:
            symbols = self.resolve_universe(universe, table=table)
            if _is_sector(universe):
                missing = "ignore"
        lf = self.scan(table)
        have = lf.collect_schema().names()
        wanted_cols = list(dict.fromkeys([*BAR_COLUMNS, *(columns or have)]))
        absent = [c for c in wanted_cols if c not in have]
        if absent:
            msg = f"table {table!r} has no column(s) {', '.join(absent)}; columns: {', '.join(have)}"
            raise DataError(msg)
        wanted = list(dict.fromkeys(s.strip() for s in symbols or () if s.strip()))
        expr = pl.lit(True)
        if wanted:
            expr &= pl.col("symbol").is_in(wanted)
        if start is not None:
            expr &= pl.col("ts") >= start
        if end is not None:
            expr &= pl.col("ts") <= end
        df = lf.filter(expr).select(wanted_cols).sort("symbol", "ts").collect()
        window = f"between {start.date() if start else 'the start'} and {end.date() if end else 'the end'}"
        hint = f'list symbols with: t26 sql "SELECT DISTINCT symbol FROM {table}"'
        if df.height == 0:
            what = f"symbol(s) {', '.join(wanted)}" if wanted else "any symbol"
            msg = f"no bars in {table!r} for {what} {window}" + (f"; {hint}" if wanted else "")
            raise DataError(msg)
        if wanted and missing == "raise":
            found = set(df["symbol"].unique().to_list())
            unknown = [s for s in wanted if s not in found]
            if unknown:
                msg = f"no bars in {table!r} for symbol(s) {', '.join(unknown)} {window}; {hint}"
                raise NotFoundError(msg)
        return df

    def resolve_universe(self, universe: str | Sequence[str] | None, *, table: str = "bars_1d") -> list[str] | None:
        """The symbols a universe names, checked against ``table``.

        Parameters
        ----------
        universe : str or sequence of str, optional
            ``"sector:NAME"`` (case-insensitive): the symbols of that sector in the lake's ``symbols``
            table (symbol, sector) that have bars in ``table``, sorted; ``"AAA,BBB"`` or a list:
            those symbols, in the order given (duplicates dropped); None or empty: every symbol
            (returns None).
        table : str
            The bars table the symbols must be in.

        Raises
        ------
        NotFoundError
            A listed symbol is not in ``table`` (the message suggests close names), the ``symbols``
            table does not exist, or the sector is not in it (the message lists the sectors).
        DataError
            The ``symbols`` table has no ``sector`` column, or no member of the sector is in ``table``.
        """
        import difflib

        import polars as pl

        if universe is None:
            return None
        if isinstance(universe, str):
            if _is_sector(universe):
                return self._sector_members(universe.strip().split(":", 1)[1].strip(), table)
            universe = universe.split(",")
        names = list(dict.fromkeys(s.strip() for s in universe if s and s.strip()))
        if not names:
            return None
        found = self.scan(table).select("symbol").filter(pl.col("symbol").is_in(names)).unique().collect()
        present = set(found["symbol"].to_list())
        unknown = [s for s in names if s not in present]
        if unknown:
            known = self.scan(table).select("symbol").unique().collect()["symbol"].to_list()
            parts = []
            for s in unknown:
                close = difflib.get_close_matches(s, known, n=3)
                parts.append(f"{s} (did you mean {', '.join(close)}?)" if close else s)
            msg = f"unknown symbol(s) in {table!r}: {'; '.join(parts)}"
            raise NotFoundError(msg)
        return names

    def _sector_members(self, sector: str, table: str) -> list[str]:
        import polars as pl

        if not self.exists("symbols"):
            msg = (
                f"universe 'sector:{sector}' needs the lake table 'symbols' (symbol, sector); "
                "write it with `t26 data sample` or ingest one"
            )
            raise NotFoundError(msg)
        meta = self.read("symbols")
        if "sector" not in meta.columns:
            msg = f"the 'symbols' table has no sector column (columns: {', '.join(meta.columns)})"
            raise DataError(msg)
        sectors = sorted(set(meta["sector"].drop_nulls().cast(pl.String).to_list()))
        match = [s for s in sectors if s.lower() == sector.lower()]
        if not match:
            msg = f"no sector {sector!r} in the 'symbols' table; sectors: {', '.join(sectors) or 'none'}"
            raise NotFoundError(msg)
        members = meta.filter(pl.col("sector") == match[0])["symbol"].cast(pl.String).unique().to_list()
        found = self.scan(table).select("symbol").filter(pl.col("symbol").is_in(members)).unique().collect()
        out = sorted(found["symbol"].to_list())
        if not out:
            msg = f"no symbol of sector {match[0]!r} has bars in {table!r}"
            raise DataError(msg)
        return out

    def count(self, table: str) -> int:
        return int(self.dataset(table).count_rows())

    def history(self, table: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """The table's Delta versions, newest first."""
        rows = []
        for h in self._table(table).history(limit):
            metrics = h.get("operationMetrics") or {}
            params = h.get("operationParameters") or {}
            rows.append(
                {
                    "version": int(h.get("version", -1)),
                    "timestamp": dt.datetime.fromtimestamp(h.get("timestamp", 0) / 1000, dt.UTC),
                    "operation": h.get("operation"),
                    "mode": params.get("mode"),
                    "rows_added": _metric(metrics, "num_target_rows_inserted", "num_added_rows", "num_output_rows"),
                    "rows_updated": _metric(metrics, "num_target_rows_updated"),
                    "rows_removed": _metric(metrics, "num_deleted_rows", "num_target_rows_deleted"),
                    "files_added": _metric(metrics, "num_added_files", "num_files_added", "num_target_files_added"),
                    "files_removed": _metric(
                        metrics, "num_removed_files", "num_files_removed", "num_target_files_removed"
                    ),
                }
            )
        return rows

    def last_source(self, table: str) -> str | None:
        """Who wrote the table's current version (the ``source`` given to :meth:`write`), if recorded."""
        entries = self._table(table).history(1)
        return entries[0].get(SOURCE_KEY) if entries else None

    def info(self, table: str) -> dict[str, Any]:
        dt_ = self._table(table)
        ds = dt_.to_pyarrow_dataset()
        actions = dt_.get_add_actions(flatten=True)
        sizes = actions.column("size_bytes").to_pylist() if actions.num_rows else []
        return {
            "table": table,
            "version": dt_.version(),
            "rows": int(ds.count_rows()),
            "files": len(sizes),
            "size_bytes": int(sum(sizes)),
            "columns": [f"{f.name}:{f.type}" for f in ds.schema],
            "partition_by": list(dt_.metadata().partition_columns),
        }

    # -- writes --------------------------------------------------------------------------------
    def write(
        self,
        table: str,
        df: Any,
        *,
        mode: WriteMode = "append",
        keys: Sequence[str] | None = None,
        partition_by: Sequence[str] | None = None,
        replace_where: str | None = None,
        check_keys: bool = True,
        add_columns: bool = False,
        source: str | None = None,
        guard_source: str | None = None,
    ) -> WriteResult:
        """Write a frame to a table, creating it if needed.

        Parameters
        ----------
        mode : {"append", "overwrite", "merge"}
            ``merge`` upserts on ``keys``: new keys are inserted, existing keys whose other columns
            differ are updated, identical rows are left alone (re-writing the same data is a no-op).
        keys : list of str
            Key columns for ``merge``; checked for nulls and duplicates before anything is written.
        replace_where : str, optional
            With ``overwrite``, replace only the rows matching this SQL predicate.
        check_keys : bool
            Check ``keys`` for nulls and duplicates first; pass False only for a frame the caller
            has just validated (ingest does, to avoid a second pass).
        add_columns : bool
            With ``merge``, add the frame's columns the table lacks (existing rows get nulls)
            instead of refusing the write.
        source : str, optional
            Recorded in the commit (``t26.source``) so later writers can tell who wrote the
            table's current version (see :meth:`last_source`); the sample generator uses "sample".
        guard_source : str, optional
            With ``overwrite``: replace the table only while its current version was written by this
            source (or it does not exist yet). The check holds at commit time: the commit replaces
            exactly the version that was checked, so a writer committing in between makes the check
            run again (and refuse) instead of being overwritten. Refusal is an InputError naming
            ``force``.

        Concurrent writers retry on Delta commit conflicts; validation happens before any file is
        written, so a rejected frame leaves the table unchanged.
        """
        check_table_name(table)
        frame = _to_polars(df)
        frame = frame.select([c for c in frame.columns if not c.startswith("_")])
        if mode not in ("append", "overwrite", "merge"):
            msg = f"unknown write mode {mode!r}; use append, overwrite or merge"
            raise InputError(msg)
        if mode == "merge":
            if not keys:
                msg = "mode='merge' needs keys=[...] naming the key columns"
                raise InputError(msg)
            if check_keys:
                _check_keys(frame, tuple(keys))
        if frame.width == 0:
            msg = f"nothing to write to {table!r}: the frame has no columns"
            raise DataError(msg)
        data = frame.to_arrow()
        delay = 0.01
        for attempt in range(MAX_RETRIES):
            try:
                return self._write_once(
                    table, data, mode, keys, partition_by, replace_where, add_columns, source, guard_source
                )
            except Exception as exc:
                if isinstance(exc, InputError):
                    raise
                if not _is_commit_conflict(exc) or attempt == MAX_RETRIES - 1:
                    raise _write_error(table, exc) from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
        raise LakeError(f"gave up writing {table!r} after {MAX_RETRIES} commit conflicts")

    def _write_once(
        self,
        table: str,
        data: Any,
        mode: str,
        keys: Sequence[str] | None,
        partition_by: Sequence[str] | None,
        replace_where: str | None,
        add_columns: bool = False,
        source: str | None = None,
        guard_source: str | None = None,
    ) -> WriteResult:
        from deltalake import CommitProperties, DeltaTable, write_deltalake

        path = self.path(table)
        so = self.storage_options
        meta = {SOURCE_KEY: source} if source else None
        cp = CommitProperties(custom_metadata=meta)
        rows = data.num_rows
        if not self.exists(table):
            # First writer creates the table. A concurrent creator must make this commit fail, and we
            # retry into the table it made. delta-rs would otherwise retry the commit itself, rebased
            # onto the winner's version 0 as version 1: both creators' rows land and every key is
            # duplicated. No commit retries here, so the loser sees the conflict.
            create = CommitProperties(custom_metadata=meta, max_commit_retries=0)
            write_deltalake(
                path,
                data,
                mode="error",
                partition_by=list(partition_by or []) or None,
                storage_options=so,
                commit_properties=create,
            )
            return WriteResult(table, mode, rows, rows, 0, 0, DeltaTable(path, storage_options=so).version())
        if mode == "append":
            write_deltalake(path, data, mode="append", storage_options=so, commit_properties=cp)
            return WriteResult(table, mode, rows, rows, 0, 0, DeltaTable(path, storage_options=so).version())
        if mode == "overwrite":
            deleted = 0
            if replace_where:
                before = DeltaTable(path, storage_options=so)
                import pyarrow.compute as pc  # noqa: F401  (the predicate is evaluated by deltalake)

                deleted = _count_where(before, replace_where)
                write_deltalake(
                    path, data, mode="overwrite", predicate=replace_where, storage_options=so, commit_properties=cp
                )
            else:
                current = DeltaTable(path, storage_options=so)
                target: Any = path
                if guard_source is not None:
                    last = current.history(1)
                    owner = last[0].get(SOURCE_KEY) if last else None
                    if owner != guard_source:
                        msg = (
                            f"table {table!r} in {self.root} holds data {guard_source} did not write "
                            f"(its current version is by {owner or 'another writer'}); force the write to replace it"
                        )
                        raise InputError(msg, option="force")
                    # Commit against the checked version, with no rebase onto a newer one.
                    target, cp = current, CommitProperties(custom_metadata=meta, max_commit_retries=0)
                deleted = int(current.to_pyarrow_dataset().count_rows())
                write_deltalake(
                    target, data, mode="overwrite", schema_mode="overwrite", storage_options=so, commit_properties=cp
                )
            return WriteResult(table, mode, rows, rows, 0, deleted, DeltaTable(path, storage_options=so).version())
        # merge
        target = DeltaTable(path, storage_options=so)
        tcols = set(target.schema().to_arrow().names) if hasattr(target.schema(), "to_arrow") else set()
        missing = [c for c in data.schema.names if tcols and c not in tcols]
        if missing and not add_columns:
            msg = f"table {table!r} has no column(s) {', '.join(missing)}; drop them or write to a new table"
            raise DataError(msg)
        assert keys is not None
        on = " AND ".join(f's."{k}" = t."{k}"' for k in keys)
        others = [c for c in data.schema.names if c not in keys]
        # A row changes when a shared column differs, or a column new to the table has a value.
        changed = (
            " OR ".join(
                f'(s."{c}" IS DISTINCT FROM t."{c}")' if c not in missing else f'(s."{c}" IS NOT NULL)' for c in others
            )
            or "false"
        )
        metrics = (
            target.merge(
                data, predicate=on, source_alias="s", target_alias="t", merge_schema=bool(missing), commit_properties=cp
            )
            .when_matched_update_all(predicate=changed)
            .when_not_matched_insert_all()
            .execute()
        )
        inserted = int(metrics.get("num_target_rows_inserted", 0))
        updated = int(metrics.get("num_target_rows_updated", 0))
        return WriteResult(table, mode, rows, inserted, updated, 0, DeltaTable(path, storage_options=so).version())

    def delete(self, table: str, predicate: str | None = None) -> int:
        """Delete rows matching a SQL predicate (all rows when None); returns rows deleted."""
        t = self._table(table)
        m = t.delete(predicate)
        return int(m.get("num_deleted_rows", 0))

    def drop(self, table: str) -> None:
        """Remove a table and its files (local lakes only)."""
        self._table(table)
        if not self._local:
            raise LakeError("drop is only supported on local lakes")
        shutil.rmtree(self.path(table).removeprefix("file://"))

    def vacuum(self, table: str, *, retention_hours: int = 168, dry_run: bool = False) -> list[str]:
        """Delete files no longer referenced by versions newer than ``retention_hours``."""
        return list(
            self._table(table).vacuum(
                retention_hours=retention_hours,
                dry_run=dry_run,
                enforce_retention_duration=False,
            )
        )

    def compact(self, table: str, *, target_size: int | None = None) -> dict[str, Any]:
        """Rewrite small files into larger ones (a new version; old files stay until vacuum)."""
        m = self._table(table).optimize.compact(target_size=target_size)
        return {
            "files_added": int(m.get("numFilesAdded", 0)),
            "files_removed": int(m.get("numFilesRemoved", 0)),
            "version": self._table(table).version(),
        }


def _is_sector(universe: Any) -> bool:
    return isinstance(universe, str) and universe.strip().lower().startswith("sector:")


def _metric(metrics: dict[str, Any], *names: str) -> int | None:
    for n in names:
        if n in metrics and metrics[n] is not None:
            try:
                return int(metrics[n])
            except (TypeError, ValueError):
                return None
    return None


def _count_where(table: Any, predicate: str) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("t", table.to_pyarrow_dataset())
        row = con.execute(f"SELECT count(*) FROM t WHERE {predicate}").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


_OPS = {"=", "==", "!=", "<", "<=", ">", ">=", "in"}


def _filter_expr(filters: Any, names: Iterable[str]) -> Any:
    import polars as pl

    if isinstance(filters, pl.Expr):
        return filters
    names = list(names)
    expr = pl.lit(True)
    for item in filters:
        try:
            col, op, value = item
        except (TypeError, ValueError) as exc:
            raise InputError(f"bad filter {item!r}: use (column, op, value) tuples") from exc
        if col not in names:
            raise InputError(f"cannot filter on unknown column {col!r}; columns: {', '.join(names)}")
        if op not in _OPS:
            raise InputError(f"bad filter operator {op!r}; use one of {', '.join(sorted(_OPS))}")
        c = pl.col(col)
        if op in ("=", "=="):
            part = c == value
        elif op == "!=":
            part = c != value
        elif op == "<":
            part = c < value
        elif op == "<=":
            part = c <= value
        elif op == ">":
            part = c > value
        elif op == ">=":
            part = c >= value
        else:
            part = c.is_in(list(value))
        expr = expr & part
    return expr


def _store_error(root: str, exc: BaseException) -> Exception:
    """An object-store failure as a one-line error naming the setting to fix."""
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    low = text.lower().replace("_", "")  # pyarrow says INVALID_ACCESS_KEY_ID, deltalake InvalidAccessKeyId
    refused = ("403", "forbidden", "invalidaccesskeyid", "signaturedoesnotmatch", "credential", "accessdenied")
    if any(k in low for k in refused):
        msg = (
            f"the object store refused the lake {root} ({first}); check AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY and AWS_REGION (or the credentials in the storage options)"
        )
        return ConfigError(msg)
    return LakeError(f"the object store of the lake {root} failed: {first}")


def _sql_error(exc: Exception, tables: list[str]) -> InputError:
    import duckdb

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    listing = ", ".join(tables) if tables else "none (try `t26 data sample`)"
    if isinstance(exc, duckdb.PermissionException):
        msg = f"SQL error: {text}\nSQL reads the lake's tables only; allow_files opens other files (tables: {listing})"
        return InputError(msg, option="allow_files")
    return InputError(f"SQL error: {text}\n(tables: {listing})")


def _write_error(table: str, exc: Exception) -> Exception:
    from deltalake.exceptions import SchemaMismatchError

    if isinstance(exc, SchemaMismatchError) or "schema" in str(exc).lower():
        return DataError(
            f"the frame does not match the schema of table {table!r}: {exc}; "
            "cast the columns, or write with mode='overwrite' to replace the table"
        )
    return LakeError(f"writing {table!r} failed: {exc}")
