"""Feature sets: a small TOML definition materialised as a lake table ``features_NAME``, incrementally.

A definition names indicators by their screener names (``rsi_14``, ``mom_252_21``), a fractional
difference of log close with a fixed or fitted d, market regimes, cross-sectional ranks and lags::

    table = "bars_1d"
    indicators = ["rsi_14", "mom_252_21", "vol_21"]
    ranks = ["mom_252_21"]                 # rank_mom_252_21: percentile rank across symbols per bar
    lags = { rsi_14 = [1, 5] }             # rsi_14_lag1, rsi_14_lag5: the value 1 and 5 bars earlier
    [fracdiff]                             # ffd (and ffd_d, the order used)
    d = 0.4                                # or "auto": each symbol's smallest d passing ADF, fitted once
    [regime]                               # regime_trend (+1 bull / -1 bear), regime_vol (1 volatile / 0 calm)
    trend = 200
    vol = 21

:func:`build_features` writes ``symbol, ts``, one column per feature and ``feature_hash`` (the
definition's hash). Every value on a row uses that row's bar and earlier bars only. The definition
itself is kept in the lake table ``feature_sets`` so a build, ``t26 features show`` and a registered
model can find it by name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.errors import ConfigError, NotFoundError

#: the lake table holding every feature set's definition
DEFINITIONS_TABLE = "feature_sets"
#: the column of a feature table holding the definition's hash
HASH_COLUMN = "feature_hash"
_KEYS = ("symbol", "ts")
_TOP_KEYS = {"name", "table", "indicators", "fracdiff", "regime", "ranks", "lags", "description"}


@dataclass(frozen=True)
class FeatureSet:
    """A feature set's definition (see the module docstring for the TOML form).

    ``fracdiff_d`` is a number in [0, 2], ``"auto"`` (fitted per symbol at its first build, then kept)
    or None (no fracdiff column); ``regime`` is ``(trend, vol)`` windows in bars or None.
    """

    name: str
    table: str = "bars_1d"
    indicators: tuple[str, ...] = ()
    fracdiff_d: float | str | None = None
    fracdiff_thresh: float = 1e-4
    regime: tuple[int, int] | None = None
    ranks: tuple[str, ...] = ()
    lags: tuple[tuple[str, tuple[int, ...]], ...] = ()
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        from trade2026.features._names import parse_name
        from trade2026.lake import check_table_name

        check_table_name(f"features_{self.name}")
        check_table_name(self.table)
        for ind in self.indicators:
            parse_name(ind)
        if isinstance(self.fracdiff_d, str) and self.fracdiff_d != "auto":
            msg = f"feature set {self.name!r}: fracdiff d must be a number in [0, 2] or 'auto', got {self.fracdiff_d!r}"
            raise ConfigError(msg)
        if isinstance(self.fracdiff_d, float) and not 0.0 <= self.fracdiff_d <= 2.0:
            msg = f"feature set {self.name!r}: fracdiff d must be in [0, 2], got {self.fracdiff_d}"
            raise ConfigError(msg)
        base = self.base_columns
        if not base:
            msg = f"feature set {self.name!r} defines no feature; list indicators, a fracdiff or a regime"
            raise ConfigError(msg)
        ranked = [f"rank_{c}" for c in self.ranks]
        for src, allowed in [*((c, base) for c in self.ranks), *((c, base + ranked) for c, _ in self.lags)]:
            if src not in allowed:
                msg = (
                    f"feature set {self.name!r}: {src!r} is ranked or lagged but is not a feature; use one of {allowed}"
                )
                raise ConfigError(msg)
        for src, ks in self.lags:
            if not ks or any(k < 1 for k in ks):
                msg = f"feature set {self.name!r}: lags of {src!r} must be whole numbers of bars >= 1, got {list(ks)}"
                raise ConfigError(msg)

    @property
    def feature_table(self) -> str:
        return f"features_{self.name}"

    @property
    def base_columns(self) -> list[str]:
        cols = list(self.indicators)
        if self.fracdiff_d is not None:
            cols.append("ffd")
        if self.regime is not None:
            cols += ["regime_trend", "regime_vol"]
        return cols

    @property
    def columns(self) -> list[str]:
        """The feature columns, in table order (``ffd_d`` is the order used, not a feature)."""
        cols = self.base_columns + [f"rank_{c}" for c in self.ranks]
        cols += [f"{src}_lag{k}" for src, ks in self.lags for k in ks]
        return cols

    def to_dict(self) -> dict[str, Any]:
        """The definition as plain data (what the hash is taken over, and what ``show`` prints)."""
        return {
            "name": self.name,
            "table": self.table,
            "indicators": list(self.indicators),
            "fracdiff": None if self.fracdiff_d is None else {"d": self.fracdiff_d, "thresh": self.fracdiff_thresh},
            "regime": None if self.regime is None else {"trend": self.regime[0], "vol": self.regime[1]},
            "ranks": list(self.ranks),
            "lags": {s: list(ks) for s, ks in self.lags},
            "description": self.description,
        }

    @property
    def hash(self) -> str:
        """12 hex digits of the SHA-256 of the definition (description and name left out)."""
        d = self.to_dict()
        d.pop("description")
        d.pop("name")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str | None = None) -> FeatureSet:
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            msg = f"unknown key(s) {', '.join(unknown)} in a feature set; allowed: {', '.join(sorted(_TOP_KEYS))}"
            raise ConfigError(msg)
        nm = name or data.get("name")
        if not nm:
            msg = "a feature set needs a name (the TOML's name key, or its file name)"
            raise ConfigError(msg)
        fd = data.get("fracdiff")
        d: float | str | None = None
        thresh = 1e-4
        if fd is not None:
            if not isinstance(fd, dict) or "d" not in fd:
                msg = "fracdiff must be a table with d = <number> or d = 'auto' (and optionally thresh)"
                raise ConfigError(msg)
            d = fd["d"] if isinstance(fd["d"], str) else float(fd["d"])
            thresh = float(fd.get("thresh", thresh))
        rg = data.get("regime")
        regime = None
        if rg is not None:
            rg = rg if isinstance(rg, dict) else {}
            regime = (int(rg.get("trend", 200)), int(rg.get("vol", 21)))
        lags = data.get("lags") or {}
        if not isinstance(lags, dict):
            msg = "lags must be a table: feature = [1, 5]"
            raise ConfigError(msg)
        lag_items = [(str(s), tuple(int(k) for k in (ks if isinstance(ks, list) else [ks]))) for s, ks in lags.items()]
        return cls(
            name=str(nm),
            table=str(data.get("table", "bars_1d")),
            indicators=tuple(data.get("indicators", ())),
            fracdiff_d=d,
            fracdiff_thresh=thresh,
            regime=regime,
            ranks=tuple(data.get("ranks", ())),
            lags=tuple(sorted(lag_items)),
            description=str(data.get("description", "")),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> FeatureSet:
        """Read a definition file; its name is the ``name`` key, else the file's stem."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            msg = f"no feature-set file {p}"
            raise NotFoundError(msg) from None
        except tomllib.TOMLDecodeError as exc:
            msg = f"{p} is not valid TOML: {exc}"
            raise ConfigError(msg) from None
        return cls.from_dict(data, name=data.get("name") or p.stem)


def load_feature_set(source: str | Path | FeatureSet, lake: Any | None = None) -> FeatureSet:
    """A feature set from a definition, a TOML path, or a name stored in the lake's ``feature_sets``."""
    if isinstance(source, FeatureSet):
        return source
    text = str(source)
    if text.endswith(".toml") or Path(text).is_file():
        return FeatureSet.from_toml(text)
    if lake is None or not lake.exists(DEFINITIONS_TABLE):
        msg = f"no feature set {text!r}: build it once from its TOML file (build_features(lake, 'path/{text}.toml'))"
        raise NotFoundError(msg)
    row = lake.read(DEFINITIONS_TABLE).filter(pl.col("name") == text)
    if row.height == 0:
        known = sorted(lake.read(DEFINITIONS_TABLE)["name"].to_list())
        msg = f"no feature set {text!r} in the lake (known: {', '.join(known) or 'none'}); build it from its TOML file"
        raise NotFoundError(msg)
    return FeatureSet.from_dict(json.loads(row["definition"][0]))


# ---------------------------------------------------------------------------------------------------
# Computing


def _fracdiff_columns(bars: pl.DataFrame, fs: FeatureSet, fitted: dict[str, float]) -> pl.DataFrame:
    """``symbol, ts, ffd, ffd_d`` per symbol; an "auto" d is taken from ``fitted`` or fitted now."""
    from trade2026.features._fracdiff import fracdiff
    from trade2026.features._min_d import min_d

    parts = []
    for (sym,), part in bars.partition_by("symbol", as_dict=True, maintain_order=True).items():
        logc = np.log(part["close"].to_numpy())
        if fs.fracdiff_d == "auto":
            d = fitted.get(str(sym))
            if d is None:
                d = float(min_d(logc, thresh=fs.fracdiff_thresh).d) if len(logc) > 50 else math.nan
        else:
            d = float(fs.fracdiff_d)  # type: ignore[arg-type]
        values = fracdiff(logc, d, thresh=fs.fracdiff_thresh) if math.isfinite(d) else np.full(len(logc), np.nan)
        parts.append(part.select("symbol", "ts").with_columns(pl.Series("ffd", values), pl.lit(d).alias("ffd_d")))
    return pl.concat(parts)


def _regime_columns(bars: pl.DataFrame, trend: int, vol: int) -> pl.DataFrame:
    """``ts, regime_trend, regime_vol`` of the universe's equal-weight index (rule regimes)."""
    from trade2026.screener import market_index, rule_regimes

    reg = rule_regimes(market_index(bars), trend=trend, vol=vol)
    return reg.select(
        "ts",
        regime_trend=pl.when(pl.col("regime") == "bull").then(1.0).when(pl.col("regime") == "bear").then(-1.0),
        regime_vol=pl.when(pl.col("vol_regime") == "volatile").then(1.0).when(pl.col("vol_regime") == "calm").then(0.0),
    )


def compute_features(bars: Any, definition: FeatureSet, *, fitted_d: dict[str, float] | None = None) -> pl.DataFrame:
    """Every feature of ``definition`` on every bar: ``symbol, ts``, the feature columns (and ``ffd_d``).

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long bars (symbol, ts, open, high, low, close, volume) of every symbol to rank across.
    definition : FeatureSet
    fitted_d : dict, optional
        Per symbol, the d an ``"auto"`` fracdiff already chose (kept so values do not change
        between builds); symbols missing are fitted on their history.

    Returns
    -------
    polars.DataFrame sorted by (symbol, ts); null/NaN during each feature's warm-up.
    """
    from trade2026.core import to_polars
    from trade2026.features._compute import compute

    fs = definition
    frame, _ = to_polars(bars, what="bars")
    frame = frame.sort("symbol", "ts")
    out = compute(frame, fs.indicators, keep=["symbol", "ts"]) if fs.indicators else frame.select(_KEYS)
    if fs.fracdiff_d is not None:
        out = out.join(_fracdiff_columns(frame, fs, fitted_d or {}), on=_KEYS, how="left")
    if fs.regime is not None:
        out = out.join(_regime_columns(frame, *fs.regime), on="ts", how="left")
    out = out.sort("symbol", "ts")
    if fs.ranks:
        out = out.with_columns(
            [
                (pl.col(c).fill_nan(None).rank("average").over("ts") / pl.col(c).fill_nan(None).count().over("ts"))
                .cast(pl.Float64)
                .alias(f"rank_{c}")
                for c in fs.ranks
            ]
        )
    if fs.lags:
        out = out.with_columns(
            [pl.col(src).shift(k).over("symbol").alias(f"{src}_lag{k}") for src, ks in fs.lags for k in ks]
        )
    extra = ["ffd_d"] if fs.fracdiff_d is not None else []
    return out.select(*_KEYS, *[pl.col(c).cast(pl.Float64).fill_nan(None) for c in fs.columns], *extra)


# ---------------------------------------------------------------------------------------------------
# Building on the lake


@dataclass(frozen=True)
class FeatureBuildResult:
    """What :func:`build_features` did.

    ``mode`` is ``"created"`` (first build), ``"rebuilt"`` (the definition changed, or asked for),
    ``"incremental"`` (rows for new bars added) or ``"up_to_date"`` (nothing new: nothing written).
    """

    name: str
    table: str
    source_table: str
    hash: str
    mode: str
    rows_written: int
    symbols: int
    columns: list[str]
    last_ts: Any
    source_version: int
    version: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """What ``t26 features build --json`` prints."""
        return {
            "name": self.name,
            "table": self.table,
            "source_table": self.source_table,
            "hash": self.hash,
            "mode": self.mode,
            "rows_written": self.rows_written,
            "symbols": self.symbols,
            "columns": self.columns,
            "last_ts": self.last_ts,
            "source_version": self.source_version,
            "version": self.version,
            "message": self.message,
        }

    def metrics(self) -> dict[str, float]:
        return {"rows_written": self.rows_written, "symbols": self.symbols, "n_features": len(self.columns)}


def _save_definition(lake: Any, fs: FeatureSet) -> None:
    row = pl.DataFrame(
        {
            "name": [fs.name],
            "hash": [fs.hash],
            "definition": [json.dumps(fs.to_dict(), sort_keys=True)],
            "updated": [dt.datetime.now(dt.UTC)],
        }
    )
    if lake.exists(DEFINITIONS_TABLE):
        old = lake.read(DEFINITIONS_TABLE).filter(pl.col("name") == fs.name)
        if old.height and old["hash"][0] == fs.hash:
            return
    lake.write(DEFINITIONS_TABLE, row, mode="merge", keys=["name"])


def _state(lake: Any, fs: FeatureSet) -> tuple[set[str], dict[str, Any], dict[str, float]]:
    """The hashes in the existing table, each symbol's last ts and its fitted d (empty when absent)."""
    if not lake.exists(fs.feature_table):
        return set(), {}, {}
    lf = lake.scan(fs.feature_table)
    hashes = set(lf.select(pl.col(HASH_COLUMN).unique()).collect()[HASH_COLUMN].to_list())
    last = lf.group_by("symbol").agg(pl.col("ts").max()).collect()
    fitted: dict[str, float] = {}
    if fs.fracdiff_d == "auto" and "ffd_d" in lf.collect_schema().names():
        ds = lf.group_by("symbol").agg(pl.col("ffd_d").last()).collect()
        fitted = {r["symbol"]: r["ffd_d"] for r in ds.iter_rows(named=True)}
    return hashes, dict(zip(last["symbol"].to_list(), last["ts"].to_list(), strict=True)), fitted


def build_features(lake: Any, source: str | Path | FeatureSet, *, rebuild: bool = False) -> FeatureBuildResult:
    """Materialise a feature set into ``features_NAME``, writing only bars newer than the table's.

    Parameters
    ----------
    lake : trade2026.lake.Lake
    source : FeatureSet, path of a TOML definition, or the name of a set built before
        A definition given as a file is stored in the lake's ``feature_sets`` table (by name).
    rebuild : bool
        Recompute and replace the whole table. A definition whose hash differs from the table's
        always rebuilds.

    Returns
    -------
    FeatureBuildResult
        ``mode`` says whether the table was created, rebuilt, extended or already up to date.

    Notes
    -----
    Features are computed over each symbol's whole history (recursive indicators depend on their
    seed, ranks on every symbol of a bar) and only rows after a symbol's last stored bar are
    written, merged on (symbol, ts): rerunning, or two builds running at once, writes each row once.
    A bars table whose past was corrected needs ``rebuild=True``.
    """
    fs = load_feature_set(source, lake)
    bars = lake.read_bars(fs.table)
    src_version = int(lake.info(fs.table)["version"])
    hashes, last, fitted = _state(lake, fs)
    changed = bool(hashes) and hashes != {fs.hash}
    full = rebuild or changed or not hashes
    feats = compute_features(bars, fs, fitted_d=None if full else fitted)
    feats = feats.with_columns(pl.lit(fs.hash).alias(HASH_COLUMN))
    if full:
        mode = "created" if not hashes else "rebuilt"
        lake.write(fs.feature_table, feats, mode="overwrite")
        new = feats
        why = {"created": "first build", "rebuilt": "definition changed" if changed else "rebuild asked for"}[mode]
    else:
        cut = pl.DataFrame({"symbol": list(last), "_last": list(last.values())}, schema_overrides={"symbol": pl.String})
        new = feats.join(cut, on="symbol", how="left").filter(
            pl.col("_last").is_null() | (pl.col("ts") > pl.col("_last"))
        )
        new = new.drop("_last")
        mode = "incremental" if new.height else "up_to_date"
        if new.height:
            lake.write(fs.feature_table, new, mode="merge", keys=list(_KEYS))
        why = f"{new.height} new rows" if new.height else f"nothing new in {fs.table}"
    _save_definition(lake, fs)
    version = int(lake.info(fs.feature_table)["version"]) if lake.exists(fs.feature_table) else None
    return FeatureBuildResult(
        name=fs.name,
        table=fs.feature_table,
        source_table=fs.table,
        hash=fs.hash,
        mode=mode,
        rows_written=int(new.height),
        symbols=int(feats["symbol"].n_unique()),
        columns=fs.columns,
        last_ts=feats["ts"].max(),
        source_version=src_version,
        version=version,
        message=f"{fs.feature_table}: {mode.replace('_', ' ')} ({why})",
    )


def feature_sets(lake: Any) -> list[dict[str, Any]]:
    """One row per stored feature set: name, hash, source table, feature count, rows, symbols, last ts."""
    if not lake.exists(DEFINITIONS_TABLE):
        return []
    rows = []
    for r in lake.read(DEFINITIONS_TABLE).sort("name").iter_rows(named=True):
        fs = FeatureSet.from_dict(json.loads(r["definition"]))
        row: dict[str, Any] = {"name": fs.name, "hash": fs.hash, "source_table": fs.table, "features": len(fs.columns)}
        if lake.exists(fs.feature_table):
            stats = lake.scan(fs.feature_table).select(
                pl.len().alias("rows"),
                pl.col("symbol").n_unique().alias("symbols"),
                pl.col("ts").max().alias("last_ts"),
            )
            row.update(stats.collect().row(0, named=True))
            row["version"] = int(lake.info(fs.feature_table)["version"])
        else:
            row.update(rows=0, symbols=0, last_ts=None, version=None)
        rows.append(row)
    return rows


def feature_set_info(lake: Any, name: str) -> dict[str, Any]:
    """A stored feature set in full: its definition, hash, columns and its table's rows and version."""
    fs = load_feature_set(name, lake)
    out: dict[str, Any] = {"name": fs.name, "hash": fs.hash, "definition": fs.to_dict(), "columns": fs.columns}
    listed = {r["name"]: r for r in feature_sets(lake)}
    if fs.name in listed:
        out.update({k: listed[fs.name][k] for k in ("rows", "symbols", "last_ts", "version")})
    return out


def read_features(
    lake: Any, name: str | FeatureSet, symbols: Sequence[str] | None = None
) -> tuple[pl.DataFrame, FeatureSet, int]:
    """A built feature set's rows (``symbol, ts`` and the feature columns), its definition and table version.

    Raises NotFoundError when the table was never built, DataError when it was built from another
    definition than the stored one (rebuild it).
    """
    from trade2026.errors import DataError

    fs = load_feature_set(name, lake)
    if not lake.exists(fs.feature_table):
        msg = f"feature set {fs.name!r} has no table yet; build it first (build_features(lake, {fs.name!r}))"
        raise NotFoundError(msg)
    version = int(lake.info(fs.feature_table)["version"])
    lf = lake.scan(fs.feature_table, version=version)
    if symbols:
        lf = lf.filter(pl.col("symbol").is_in(list(symbols)))
    df = lf.collect()
    if df.height and set(df[HASH_COLUMN].unique().to_list()) != {fs.hash}:
        msg = f"{fs.feature_table} was built from another definition of {fs.name!r}; rebuild it"
        raise DataError(msg)
    return df.select(*_KEYS, *fs.columns).sort(*_KEYS), fs, version


__all__ = [
    "DEFINITIONS_TABLE",
    "FeatureBuildResult",
    "FeatureSet",
    "build_features",
    "compute_features",
    "feature_set_info",
    "feature_sets",
    "load_feature_set",
    "read_features",
]
