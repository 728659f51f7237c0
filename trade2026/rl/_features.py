"""Observation features computed only from data up to each bar's close, and their frozen scaler.

Features are per symbol, laid out symbol-major in a (n_bars, n_symbols * n_features) float array:
column ``i * n_features + f`` is feature f of symbol i. NaN where a feature is not yet defined
(warm-up, a symbol not listed yet); the scaler maps NaN to 0.

A name ``SET/COLUMN`` is a column of a built feature set (``t26 features build``), read from the bars
frame where :func:`trade2026.rl.load_bars` joined the set's rows point in time (each bar takes the
set's last row at or before it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from trade2026.core import Panel, ffill, pivot
from trade2026.errors import ConfigError, DataError

# Unstandardised features are clipped here so observations stay inside a finite Box.
RAW_BOUND = 1e9
_RET = re.compile(r"^ret_(\d+)$")
_FRACDIFF = re.compile(r"^fracdiff(?:_(\d+))?(?:_(\d+))?$")


@dataclass(frozen=True)
class FeatureSpec:
    """One parsed feature name: its kind (``ret``, ``fracdiff``, ``indicator``), parameters and warm-up."""

    name: str
    kind: str
    params: tuple[float, ...]
    warmup: int


def parse_feature(name: str) -> FeatureSpec:
    """Parse ``ret_20``, ``fracdiff_40_64`` (d = 0.40, 64 weights), an indicator name (``rsi_14``) or a
    feature set's column (``momentum/rsi_14``: its warm-up is measured on the data)."""
    if "/" in name:
        fs, _, col = name.partition("/")
        if not fs or not col:
            msg = f"{name!r}: a feature set's column is SET/COLUMN, e.g. momentum/rsi_14"
            raise ConfigError(msg)
        return FeatureSpec(name, "column", (), 0)
    m = _RET.match(name)
    if m:
        n = int(m.group(1))
        if n < 2:
            msg = f"{name!r}: the volatility span must be >= 2"
            raise ConfigError(msg)
        return FeatureSpec(name, "ret", (float(n),), n + 1)
    m = _FRACDIFF.match(name)
    if m:
        d = int(m.group(1) or 40) / 100.0
        w = int(m.group(2) or 64)
        if not 0 < d <= 2 or w < 2:
            msg = f"{name!r}: fracdiff_D_W needs d = D/100 in (0, 2] and W >= 2 weights (e.g. fracdiff_40_64)"
            raise ConfigError(msg)
        return FeatureSpec(name, "fracdiff", (d, float(w)), w)
    from trade2026.features import indicators

    indicators.parse_name(name)  # raises with "did you mean" on a typo
    return FeatureSpec(name, "indicator", (), int(indicators.lookback(name)) + 1)


def _ret_feature(close: np.ndarray, span: int) -> np.ndarray:
    from trade2026.rl._kernels import vol_scaled_returns_nb

    c = ffill(close)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(c[1:] / c[:-1])
    r = np.vstack([np.full((1, c.shape[1]), np.nan), r])
    return vol_scaled_returns_nb(np.ascontiguousarray(r), span)


def _fracdiff_feature(close: np.ndarray, d: float, width: int) -> np.ndarray:
    from trade2026.features import fracdiff

    x = np.log(ffill(close))
    return np.asarray(fracdiff(x, d, window=width), dtype=np.float64).reshape(x.shape)


def _indicator_features(bars: Any, panel: Panel, names: list[str]) -> dict[str, np.ndarray]:
    from trade2026.features import indicators

    frame = indicators.compute(bars, names, keep=["symbol", "ts", "open", "high", "low", "close", "volume"])
    p = pivot(frame, names, what="indicator values")
    out = {}
    pos = {s: i for i, s in enumerate(p.symbols)}
    rows = np.searchsorted(p.ts.to_numpy(), panel.ts.to_numpy())
    for n in names:
        arr = np.full((panel.n_bars, panel.n_symbols), np.nan)
        for j, s in enumerate(panel.symbols):
            arr[rows, j] = p.values[n][:, pos[s]]
        out[n] = arr
    return out


def _column_features(bars: Any, panel: Panel, names: list[str]) -> dict[str, np.ndarray]:
    """Feature-set columns of the bars frame on the panel's grid (NaN where a symbol has no row)."""
    missing = [n for n in names if n not in bars.columns]
    if missing:
        sets = sorted({n.partition("/")[0] for n in missing})
        msg = (
            f"the bars have no column {', '.join(missing)}; read them with the feature set joined "
            f"(trade2026.rl.load_bars(lake, symbols, features={sets[0]!r}))"
        )
        raise DataError(msg)
    p = pivot(bars, names, what="feature-set columns")
    pos = {s: i for i, s in enumerate(p.symbols)}
    rows = np.searchsorted(p.ts.to_numpy(), panel.ts.to_numpy())
    out = {}
    for n in names:
        arr = np.full((panel.n_bars, panel.n_symbols), np.nan)
        for j, s in enumerate(panel.symbols):
            arr[rows, j] = p.values[n][:, pos[s]]
        out[n] = arr
    return out


def compute_features(bars: Any, panel: Panel, names: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """Features of every symbol at every bar, from data up to that bar's close.

    Returns
    -------
    values : ndarray of shape (n_bars, n_symbols * n_features), float64, NaN where undefined
    warmup : int
        Bars before every feature can be defined (a bound from the features' look-backs; for a
        feature set's column, the first bar where some symbol has a value).
    """
    specs = [parse_feature(n) for n in names]
    if len({s.name for s in specs}) != len(specs):
        msg = f"features are listed twice: {', '.join(names)}"
        raise ConfigError(msg)
    ind_names = [s.name for s in specs if s.kind == "indicator"]
    ind = _indicator_features(bars, panel, ind_names) if ind_names else {}
    col_names = [s.name for s in specs if s.kind == "column"]
    ind |= _column_features(bars, panel, col_names) if col_names else {}
    warmup = max(s.warmup for s in specs)
    for n in col_names:
        defined = np.isfinite(ind[n]).any(axis=1)
        warmup = max(warmup, int(np.argmax(defined)) if defined.any() else panel.n_bars)
    cols = []
    for s in specs:
        if s.kind == "ret":
            cols.append(_ret_feature(panel.close, int(s.params[0])))
        elif s.kind == "fracdiff":
            cols.append(_fracdiff_feature(panel.close, s.params[0], int(s.params[1])))
        else:
            cols.append(ind[s.name])
    k, nf = panel.n_symbols, len(specs)
    out = np.empty((panel.n_bars, k * nf))
    for f, arr in enumerate(cols):
        out[:, f::nf] = arr
    out[~np.isfinite(out)] = np.nan
    return out, warmup


@dataclass(frozen=True)
class FeatureScaler:
    """Per-column standardisation fitted on training rows only, then frozen.

    ``mean_`` and ``scale_`` have shape (n_columns,); :meth:`transform` gives float32
    ``clip((x - mean) / scale, -clip, clip)`` with NaN mapped to 0. An identity scaler
    (``normalize=False``) only maps NaN to 0 and clips at ``RAW_BOUND``.
    """

    mean_: tuple[float, ...]
    scale_: tuple[float, ...]
    clip: float = 5.0
    fitted_rows: int = 0

    @classmethod
    def fit(cls, values: np.ndarray, *, clip: float = 5.0, normalize: bool = True) -> FeatureScaler:
        """Fit on rows of shape (n_rows, n_columns) (the training fold's bars only)."""
        n_cols = values.shape[1]
        if not normalize:
            return cls((0.0,) * n_cols, (1.0,) * n_cols, RAW_BOUND, int(values.shape[0]))
        finite = np.isfinite(values)
        cnt = finite.sum(axis=0)
        z = np.where(finite, values, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(cnt > 0, z.sum(axis=0) / np.maximum(cnt, 1), 0.0)
            var = np.where(
                cnt > 1, (np.where(finite, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(cnt - 1, 1), 0.0
            )
        std = np.sqrt(var)
        scale = np.where(std > 1e-12, std, 1.0)
        return cls(tuple(map(float, mean)), tuple(map(float, scale)), float(clip), int(values.shape[0]))

    def transform(self, values: np.ndarray) -> np.ndarray:
        if values.shape[1] != len(self.mean_):
            msg = f"the scaler was fitted on {len(self.mean_)} feature columns, got {values.shape[1]}"
            raise DataError(msg)
        x = (values - np.asarray(self.mean_)) / np.asarray(self.scale_)
        x = np.clip(x, -self.clip, self.clip)
        return np.ascontiguousarray(np.where(np.isfinite(x), x, 0.0), dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": list(self.mean_),
            "scale": list(self.scale_),
            "clip": self.clip,
            "fitted_rows": self.fitted_rows,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureScaler:
        return cls(tuple(d["mean"]), tuple(d["scale"]), float(d["clip"]), int(d.get("fitted_rows", 0)))
