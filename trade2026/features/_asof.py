"""Point-in-time joins: each label meets the features known at its start, never later ones."""

from __future__ import annotations

from typing import Any

import polars as pl

from trade2026.errors import DataError


def asof_join(labels: Any, features: Any, *, on: str = "ts", by: str = "symbol") -> Any:
    """Join each label with its symbol's last feature row at or before the label's ``on`` time.

    Parameters
    ----------
    labels : polars or pandas DataFrame
        One row per label with ``by`` (symbol) and ``on`` (the label's start t0; ``ts`` in saved
        label tables, ``t0`` in a :class:`trade2026.labeling.MetaLabelResult`'s events).
    features : polars or pandas DataFrame
        ``by``, ``ts`` and feature columns (a ``features_NAME`` table), one row per (symbol, ts).
    on : str, default "ts"
        The labels' time column.
    by : str, default "symbol"
        The entity column both frames share.

    Returns
    -------
    The labels (in their order, of the kind given) with every feature column added: null where the
    symbol had no feature row at or before ``on``. A feature row stamped after a label's start is
    never used (that would leak the future into the label's features).
    """
    from trade2026.core import like_input, require_columns, to_polars

    lab, was_pandas = to_polars(labels, what="labels")
    feat, _ = to_polars(features, what="features")
    require_columns(lab, [by, on], "the labels")
    require_columns(feat, [by, "ts"], "the features")
    clash = sorted((set(feat.columns) - {by, "ts"}) & set(lab.columns))
    if clash:
        msg = f"the labels already have column(s) {', '.join(clash)} of the features; drop or rename them first"
        raise DataError(msg)
    if feat.select(pl.struct(by, "ts").is_duplicated().any()).item():
        msg = "the features hold duplicate (symbol, ts) rows; keep one row per symbol and timestamp"
        raise DataError(msg)
    t = lab.schema[on]
    f = feat.rename({"ts": "_fts"}).with_columns(pl.col("_fts").cast(t), pl.col(by).cast(lab.schema[by]))
    f = f.sort("_fts")
    left = lab.with_row_index("_row").sort(on)
    out = left.join_asof(f, left_on=on, right_on="_fts", by=by, strategy="backward", check_sortedness=False)
    out = out.sort("_row").drop("_row", "_fts")
    return like_input(out, was_pandas)


__all__ = ["asof_join"]
