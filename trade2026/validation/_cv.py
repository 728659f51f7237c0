"""Cross-validation without leakage (AFML ch. 7 and 12): purged k-fold and combinatorial purged CV.

Every sample is a label with a span ``[t0, t1]`` (the event time and the time its label is known).
A training sample leaks when its span overlaps a test sample's span; both splitters remove
(purge) every such training sample - including the ones that start before a test block and end
inside it - and then embargo the samples that start right after each test block.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import BaseCrossValidator

from trade2026.errors import ConfigError, DataError


def _to_int_times(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == object:
        import pandas as pd

        arr = pd.DatetimeIndex(arr).tz_convert("UTC").tz_localize(None).to_numpy() if len(arr) else arr
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]").astype(np.int64)
    if arr.dtype.kind in "iuf":
        return arr.astype(np.float64) if arr.dtype.kind == "f" else arr.astype(np.int64)
    msg = f"label times must be timestamps or numbers, got dtype {arr.dtype}"
    raise DataError(msg)


def label_spans(t1: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(t0, t1)`` as comparable arrays from the accepted forms of ``t1``.

    ``t1`` may be a pandas Series of end times indexed by start times (AFML's form), a pandas frame
    indexed by ``t0`` with a ``t1`` column or a polars frame with ``t0``/``t1`` columns (as
    :func:`trade2026.labeling.triple_barrier` returns), or a pair ``(t0, t1)`` of arrays.
    """
    mod = type(t1).__module__.split(".")[0]
    if mod == "pandas":
        import pandas as pd

        end = t1["t1"] if isinstance(t1, pd.DataFrame) else t1
        idx = t1.index
        if isinstance(idx, pd.DatetimeIndex):
            start = (idx.tz_convert("UTC").tz_localize(None) if idx.tz is not None else idx).as_unit("ns").asi8
            e = pd.DatetimeIndex(end)
            stop = (e.tz_convert("UTC").tz_localize(None) if e.tz is not None else e).as_unit("ns").asi8
        else:
            start, stop = _to_int_times(idx.to_numpy()), _to_int_times(end.to_numpy())
    elif mod == "polars":
        if not {"t0", "t1"} <= set(t1.columns):
            msg = "t1 as a polars frame needs 't0' and 't1' columns (as triple_barrier returns)"
            raise DataError(msg)
        start, stop = _pl_times(t1["t0"]), _pl_times(t1["t1"])
    elif isinstance(t1, tuple | list) and len(t1) == 2:
        start, stop = _to_int_times(t1[0]), _to_int_times(t1[1])
    else:
        msg = (
            "t1 must say when each label starts and ends: a pandas Series of t1 indexed by t0, a "
            "triple_barrier result, or a pair (t0, t1) of arrays"
        )
        raise DataError(msg)
    if len(start) != len(stop):
        msg = f"t0 has {len(start)} values but t1 has {len(stop)}"
        raise DataError(msg)
    if len(start) > 1 and (np.diff(start) < 0).any():
        msg = "labels must be sorted by start time t0 (and X in the same order); sort both first"
        raise DataError(msg)
    if (stop < start).any():
        i = int(np.argmax(stop < start))
        msg = f"label {i} ends (t1) before it starts (t0)"
        raise DataError(msg)
    return start, stop


def _pl_times(s: Any) -> np.ndarray:
    import polars as pl

    if s.dtype.is_temporal():
        if getattr(s.dtype, "time_zone", None):
            s = s.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return s.cast(pl.Datetime("ns")).to_numpy().astype(np.int64)
    return _to_int_times(s.to_numpy())


def _check_embargo(embargo: float) -> float:
    if not 0.0 <= float(embargo) < 1.0:
        msg = f"embargo is a fraction of the samples in [0, 1), got {embargo}; 0.01 is typical"
        raise ConfigError(msg)
    return float(embargo)


def purged_train(t0: np.ndarray, t1: np.ndarray, test_blocks: list[np.ndarray], n_embargo: int) -> np.ndarray:
    """Training positions left once every sample overlapping a test block is purged and the
    ``n_embargo`` samples starting after each block are embargoed.

    Each block is a contiguous run of sample positions; its span is ``[min t0, max t1]``.
    """
    n = len(t0)
    keep = np.ones(n, dtype=bool)
    for block in test_blocks:
        keep[block] = False
        lo, hi = t0[block].min(), t1[block].max()
        keep &= ~((t0 <= hi) & (t1 >= lo))  # any overlap with [lo, hi]
        if n_embargo > 0:
            after = int(np.searchsorted(t0, hi, side="right"))
            keep[after : after + n_embargo] = False
    return np.flatnonzero(keep)


def _x_len(X: Any, n_labels: int) -> None:
    if X is None:
        return
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if n != n_labels:
        msg = f"X has {n} rows but t1 describes {n_labels} labels; give one t1 per row, in the same order"
        raise DataError(msg)


def _runs(groups: list[int]) -> list[list[int]]:
    """Split sorted group ids into runs of consecutive ids."""
    runs: list[list[int]] = []
    for g in groups:
        if runs and runs[-1][-1] == g - 1:
            runs[-1].append(g)
        else:
            runs.append([g])
    return runs


class PurgedKFold(BaseCrossValidator):
    """K-fold over time-ordered labels with purging and an embargo (AFML 7.4).

    Parameters
    ----------
    n_splits : int, default 5
        Number of contiguous, unshuffled test folds.
    t1 : label spans
        When each label (row of X) starts and ends: a pandas Series of t1 indexed by t0, a
        triple_barrier result, or a pair ``(t0, t1)``. Sorted by t0, in the order of X's rows.
    embargo : float, default 0.01
        Fraction of the samples embargoed after each test fold: the first ``ceil(embargo * n)``
        labels starting after the fold's last label ends are dropped from training.

    ``split`` yields ``(train, test)`` position arrays; every training label's ``[t0, t1]`` is
    disjoint from the test fold's span ``[min t0, max t1]`` and outside its embargo.
    """

    def __init__(self, n_splits: int = 5, t1: Any = None, embargo: float = 0.01) -> None:
        self.n_splits = n_splits
        self.t1 = t1
        self.embargo = embargo

    def _setup(self) -> tuple[np.ndarray, np.ndarray]:
        if self.t1 is None:
            msg = "PurgedKFold needs t1 (when each label starts and ends) to purge overlapping labels"
            raise ConfigError(msg)
        if int(self.n_splits) < 2:
            msg = f"n_splits must be at least 2, got {self.n_splits}"
            raise ConfigError(msg)
        _check_embargo(self.embargo)
        return label_spans(self.t1)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return int(self.n_splits)

    def split(self, X: Any = None, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        t0, t1 = self._setup()
        n = len(t0)
        _x_len(X, n)
        if n < self.n_splits:
            msg = f"{n} labels cannot make {self.n_splits} folds; use fewer splits"
            raise DataError(msg)
        n_emb = math.ceil(n * self.embargo)
        for test in np.array_split(np.arange(n), int(self.n_splits)):
            yield purged_train(t0, t1, [test], n_emb), test

    def _iter_test_indices(self, X: Any = None, y: Any = None, groups: Any = None) -> Iterator[np.ndarray]:
        for _, test in self.split(X, y, groups):
            yield test


class CombinatorialPurgedCV(BaseCrossValidator):
    """Combinatorial purged cross-validation (AFML 12.4).

    The labels are cut into ``n_groups`` contiguous groups; every choice of ``n_test_groups`` of
    them is a test set, giving ``C(N, k)`` splits. Training data is purged against, and embargoed
    after, each run of adjacent test groups. Each group is tested in ``C(N-1, k-1)`` splits, so the
    out-of-sample predictions form ``phi = k/N * C(N, k)`` complete backtest paths: see
    :meth:`paths` and :meth:`reassemble`.

    Parameters
    ----------
    n_groups : int, default 6
    n_test_groups : int, default 2
    t1 : label spans, as for :class:`PurgedKFold`
    embargo : float, default 0.01
        Fraction of the samples embargoed after each run of test groups.
    """

    def __init__(self, n_groups: int = 6, n_test_groups: int = 2, t1: Any = None, embargo: float = 0.01) -> None:
        self.n_groups = n_groups
        self.n_test_groups = n_test_groups
        self.t1 = t1
        self.embargo = embargo

    def _check(self) -> None:
        if int(self.n_groups) < 2:
            msg = f"n_groups must be at least 2, got {self.n_groups}"
            raise ConfigError(msg)
        if not 1 <= int(self.n_test_groups) < int(self.n_groups):
            msg = (
                f"n_test_groups must be in [1, n_groups - 1] = [1, {int(self.n_groups) - 1}], got {self.n_test_groups}"
            )
            raise ConfigError(msg)
        _check_embargo(self.embargo)

    def combinations(self) -> list[tuple[int, ...]]:
        """The test groups of each split, in split order."""
        self._check()
        return list(itertools.combinations(range(int(self.n_groups)), int(self.n_test_groups)))

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        self._check()
        return math.comb(int(self.n_groups), int(self.n_test_groups))

    @property
    def n_paths(self) -> int:
        """Number of backtest paths: k/N * C(N, k) = C(N-1, k-1)."""
        self._check()
        return math.comb(int(self.n_groups) - 1, int(self.n_test_groups) - 1)

    def _groups(self, n: int) -> list[np.ndarray]:
        if n < self.n_groups:
            msg = f"{n} labels cannot make {self.n_groups} groups; use fewer groups"
            raise DataError(msg)
        return np.array_split(np.arange(n), int(self.n_groups))

    def split(self, X: Any = None, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        self._check()
        if self.t1 is None:
            msg = "CombinatorialPurgedCV needs t1 (when each label starts and ends) to purge overlapping labels"
            raise ConfigError(msg)
        t0, t1 = label_spans(self.t1)
        n = len(t0)
        _x_len(X, n)
        parts = self._groups(n)
        n_emb = math.ceil(n * self.embargo)
        for combo in self.combinations():
            blocks = [np.concatenate([parts[g] for g in run]) for run in _runs(list(combo))]
            test = np.concatenate(blocks)
            yield purged_train(t0, t1, blocks, n_emb), test

    def _iter_test_indices(self, X: Any = None, y: Any = None, groups: Any = None) -> Iterator[np.ndarray]:
        for _, test in self.split(X, y, groups):
            yield test

    def paths(self) -> np.ndarray:
        """Which split supplies each group's predictions in each path.

        Returns an int array of shape (n_paths, n_groups): entry ``[p, g]`` is the index of the
        split whose test set provides group ``g`` in path ``p`` (the p-th split, in order, that
        tests ``g``).
        """
        combos = self.combinations()
        out = np.empty((self.n_paths, int(self.n_groups)), dtype=np.int64)
        for g in range(int(self.n_groups)):
            splits = [i for i, c in enumerate(combos) if g in c]
            out[:, g] = splits
        return out

    def reassemble(self, predictions: list[Any], n_samples: int | None = None) -> np.ndarray:
        """Backtest paths from per-split out-of-sample predictions.

        Parameters
        ----------
        predictions : list of arrays
            One per split, in split order, aligned with that split's test positions (as
            ``split`` yields them): shape (n_test,) or (n_test, n_outputs).
        n_samples : int, optional
            Number of labels; taken from ``t1`` when omitted.

        Returns
        -------
        numpy.ndarray of shape (n_paths, n_samples) (or (n_paths, n_samples, n_outputs)): every
        path covers every sample exactly once with out-of-sample predictions.
        """
        combos = self.combinations()
        if len(predictions) != len(combos):
            msg = f"expected {len(combos)} prediction arrays (one per split), got {len(predictions)}"
            raise DataError(msg)
        n = n_samples if n_samples is not None else len(label_spans(self.t1)[0])
        parts = self._groups(n)
        first = np.asarray(predictions[0])
        out = np.full((self.n_paths, n, *first.shape[1:]), np.nan)
        # offsets of each group inside each split's concatenated test array
        for p, row in enumerate(self.paths()):
            for g, s in enumerate(row):
                pred = np.asarray(predictions[s])
                combo = combos[s]
                expected = sum(len(parts[h]) for h in combo)
                if len(pred) != expected:
                    msg = f"split {s} has {expected} test samples but {len(pred)} predictions"
                    raise DataError(msg)
                offset = sum(len(parts[h]) for h in combo if h < g)
                out[p, parts[g]] = pred[offset : offset + len(parts[g])]
        return out
