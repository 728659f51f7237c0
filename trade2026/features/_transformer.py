"""Fractional differentiation as a scikit-learn transformer (a d per column, searched at fit or given)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from trade2026.errors import DataError
from trade2026.features._fracdiff import FFD_THRESH, SEARCH_THRESH, Method, as_matrix, check_d, fracdiff, valid_span
from trade2026.features._min_d import search_d


class FracDiff(TransformerMixin, BaseEstimator):
    """Fractional differentiation as a scikit-learn transformer.

    Parameters
    ----------
    d : float or None
        The order for every column, or None to find, per column at ``fit``, the smallest d in
        ``d_range`` whose FFD series passes the ADF test (see :func:`min_d`).
    method, thresh, window
        As in :func:`fracdiff` (the d search always uses the FFD window).
    d_range, step, pvalue, maxlag
        The search settings of :func:`min_d`.

    Attributes
    ----------
    d_ : numpy.ndarray of shape (n_features,)
        The order used for each column.
    tables_ : list
        The search table of each column (empty when ``d`` was given).
    n_features_in_ : int

    ``transform`` returns the kind it is given, aligned with it (NaN during the warm-up).
    """

    def __init__(
        self,
        d: float | None = None,
        *,
        method: Method = "ffd",
        thresh: float | None = None,
        window: int | None = None,
        d_range: tuple[float, float] = (0.0, 1.0),
        step: float = 0.01,
        pvalue: float = 0.05,
        maxlag: int | None = 1,
    ) -> None:
        self.d = d
        self.method = method
        self.thresh = thresh
        self.window = window
        self.d_range = d_range
        self.step = step
        self.pvalue = pvalue
        self.maxlag = maxlag

    def fit(self, X: Any, y: Any = None) -> FracDiff:
        mat = as_matrix(X)
        self.n_features_in_ = mat.values.shape[1]
        if self.d is not None:
            self.d_ = np.full(self.n_features_in_, check_d(self.d))
            self.tables_: list[Any] = []
            return self
        ds, tables = [], []
        for j, name in enumerate(mat.names):
            first, last = valid_span(mat.values[:, j], name)
            best, rows = search_d(
                mat.values[first:last, j],
                name,
                d_range=self.d_range,
                step=self.step,
                thresh=SEARCH_THRESH if self.thresh is None else self.thresh,
                window=self.window,
                pvalue=self.pvalue,
                maxlag=self.maxlag,
                regression="c",
            )
            ds.append(best)
            import polars as pl

            tables.append(pl.DataFrame(rows))
        self.d_ = np.asarray(ds)
        self.tables_ = tables
        return self

    def transform(self, X: Any) -> Any:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "d_")
        mat = as_matrix(X)
        if mat.values.shape[1] != self.n_features_in_:
            msg = f"FracDiff was fitted on {self.n_features_in_} columns, got {mat.values.shape[1]}"
            raise DataError(msg)
        thresh = self.thresh
        if thresh is None and self.method == "ffd":
            thresh = FFD_THRESH if self.d is not None else SEARCH_THRESH
        out = np.full(mat.values.shape, np.nan)
        for j in range(self.n_features_in_):
            out[:, j] = fracdiff(
                mat.values[:, j], float(self.d_[j]), method=self.method, thresh=thresh, window=self.window
            )
        return mat.rebuild(out)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        if input_features is None:
            input_features = [f"x{j}" for j in range(self.n_features_in_)]
        return np.asarray([f"{c}_fd" for c in input_features], dtype=object)
