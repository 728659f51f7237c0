"""Histograms of the Monte Carlo distributions (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trade2026.sim._summary import METRICS, McResult


def plot_distributions(results: Sequence[McResult], observed: Mapping[str, Any], path: str | Path) -> Path:
    """Histograms of each method's path metrics (one panel per metric of :data:`METRICS`), the
    observed value marked, saved as an image at ``path`` (its folder is created); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 3.2))
    for ax, m in zip(axes, METRICS, strict=True):
        for r in results:
            v = r.metrics[m]
            v = v[np.isfinite(v)]
            if v.size and np.ptp(v) > 1e-9 * max(1.0, float(np.abs(v).max())):
                ax.hist(v, bins=40, alpha=0.45, label=r.method, density=True)
            elif v.size:  # the same value on every path (e.g. total return under reshuffling)
                ax.axvline(float(v[0]), ls="--", lw=1, label=r.method)
        if observed.get(m) is not None:
            ax.axvline(observed[m], color="black", lw=1.2, label="observed")
        ax.set_title(m)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
