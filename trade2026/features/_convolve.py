"""The convolutions behind fractional differences: a direct loop for short windows, FFT for long ones.

Both the fixed-width window (FFD) and the expanding window are causal FIR filters,
``y_i = sum_k w_k x_{i-k}``. A direct loop costs ``K`` multiply-adds per output (``K`` weights);
an FFT overlap-save convolution costs ``O(log K)`` per output plus a fixed overhead per call. The
crossover constants below come from timing both (numba direct kernel, ``numpy.fft``) over window
widths 8-1,458 and series of 600-1,000,000 points on a 2-core development machine; the FFT path is
taken only where it was faster. ``benchmarks/bench_fracdiff.py`` compares the result with the
``fracdiff`` package and the direct kernel.

Accuracy: each column is shifted by its first value before the FFT and the shift added back
(``c * sum(w)``), so the rounding error scales with the variation of the series, not its level.
Measured against the direct sum: below 1e-13 for log prices and below 5e-11 for price levels
around 10,000 (d from 0.1 to 1.5, thresh 1e-5); the tests hold it to 1e-9.
"""

from __future__ import annotations

import math

import numpy as np

#: FFT overlap-save when the window has at least this many weights ...
FFT_MIN_WIDTH = 384
#: ... and the direct loop would do at least this many multiply-adds (outputs x weights)
FFT_MIN_WORK = 1_000_000
#: expanding window: FFT from this many observations up (the direct loop is quadratic)
FFT_MIN_EXPANDING = 384
#: real values held at once by the batched FFT (columns are processed in chunks under it)
_CHUNK_VALUES = 1 << 22


def use_fft(n_obs: int, width: int) -> bool:
    """Whether the FFT path is the faster one for an FFD of ``n_obs`` points with ``width`` weights."""
    return width >= FFT_MIN_WIDTH and (n_obs - width + 1) * width >= FFT_MIN_WORK


def _fft_size(n_out: int, width: int) -> int:
    """The power-of-two FFT length minimising ``blocks * nfft * log2(nfft)`` for overlap-save."""
    best_cost, best = math.inf, 0
    size = max(16, 1 << (2 * width - 1).bit_length())
    while True:
        step = size - width + 1
        blocks = -(-n_out // step)
        cost = blocks * size * math.log2(size)
        if cost < best_cost:
            best_cost, best = cost, size
        if blocks == 1:
            return best
        size *= 2


def ffd_fft(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """FFD of every column of ``x`` (n_obs, n_cols), finite values, by FFT overlap-save.

    Row ``i`` of the result is ``sum_k w_k x[i - k]`` for ``i >= K - 1`` and NaN before.
    """
    n, m = x.shape
    width = len(w)
    out = np.full((n, m), np.nan)
    n_out = n - width + 1
    if n_out <= 0 or m == 0:
        return out
    size = _fft_size(n_out, width)
    step = size - width + 1
    blocks = -(-n_out // step)
    total = (blocks - 1) * step + size
    spectrum = np.fft.rfft(w, size)
    wsum = float(w.sum())
    per_chunk = max(1, _CHUNK_VALUES // (blocks * size))
    for a in range(0, m, per_chunk):
        b = min(m, a + per_chunk)
        shift = x[0, a:b]
        padded = np.zeros((b - a, total))
        padded[:, :n] = (x[:, a:b] - shift).T
        # block j holds x[j*step : j*step + size]; its circular convolution with w is the linear
        # one from position width-1 on, i.e. outputs j*step + width-1 .. j*step + size-1
        frames = np.lib.stride_tricks.sliding_window_view(padded, size, axis=1)[:, ::step]
        conv = np.fft.irfft(np.fft.rfft(frames, axis=2) * spectrum, size, axis=2)[:, :, width - 1 :]
        out[width - 1 :, a:b] = conv.reshape(b - a, -1)[:, :n_out].T + shift * wsum
    return out


def expanding_fft(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Expanding-window differences of every column of ``x`` (n_obs, n_cols), finite values:
    row ``i`` is ``sum_{k <= i} w_k x[i - k]`` (``w`` holds at least n_obs weights)."""
    n = x.shape[0]
    size = 1 << (2 * n - 1).bit_length()
    shift = x[0]
    spectrum = np.fft.rfft(w[:n], size)
    conv = np.fft.irfft(np.fft.rfft(x - shift, size, axis=0) * spectrum[:, None], size, axis=0)[:n]
    return conv + np.cumsum(w[:n])[:, None] * shift


def ffd_array(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """FFD of a 1-D or 2-D float array with precomputed weights (no checks; NaN warm-up).

    Long windows go through :func:`ffd_fft`; short ones, and columns holding a NaN or an infinite
    value (whose effect must stay inside the windows that contain it), through the direct kernel.
    """
    arr = np.ascontiguousarray(values, dtype=np.float64)
    mat = arr.reshape(-1, 1) if arr.ndim == 1 else arr
    n, m = mat.shape
    finite = np.isfinite(mat).all(axis=0) if use_fft(n, len(w)) else np.zeros(m, dtype=bool)
    if finite.all():
        out = ffd_fft(mat, w)
    else:
        from trade2026._jit import compile_notice
        from trade2026.features._kernels import ffd_columns

        compile_notice([ffd_columns], "fractional differences")
        if not finite.any():
            out = ffd_columns(mat, w)
        else:
            out = np.empty((n, m))
            out[:, finite] = ffd_fft(mat[:, finite], w)
            out[:, ~finite] = ffd_columns(np.ascontiguousarray(mat[:, ~finite]), w)
    return out[:, 0] if arr.ndim == 1 else out


def expanding_array(values: np.ndarray, w: np.ndarray, skip: int) -> np.ndarray:
    """Expanding-window differences of the columns of ``values`` (n_obs, n_cols), finite values;
    rows before ``skip`` are NaN."""
    mat = np.ascontiguousarray(values, dtype=np.float64)
    if mat.shape[0] < FFT_MIN_EXPANDING:
        from trade2026._jit import compile_notice
        from trade2026.features._kernels import expanding_columns

        compile_notice([expanding_columns], "fractional differences")
        return expanding_columns(mat, w, skip)
    out = expanding_fft(mat, w)
    out[:skip] = np.nan
    return out
