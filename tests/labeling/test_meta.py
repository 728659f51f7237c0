"""Bet sizing (AFML ch. 10) and the meta-labeling pipeline on sample bars."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from trade2026.errors import ConfigError, DataError
from trade2026.labeling import bet_size, metalabel


def test_bet_size_formula() -> None:
    # AFML snippet 10.1: z = (p - 1/K) / sqrt(p (1 - p)), m = 2 Phi(z) - 1
    p = np.array([0.5, 0.6, 0.9, 0.3, 1.0, 0.0])
    z = (p[:4] - 0.5) / np.sqrt(p[:4] * (1 - p[:4]))
    np.testing.assert_allclose(bet_size(p)[:4], 2 * norm.cdf(z) - 1)
    assert bet_size(1.0) == 1.0 and bet_size(0.0) == -1.0 and bet_size(0.5) == 0.0
    assert bet_size(0.9, step=0.1) == pytest.approx(0.8)  # 0.8176 discretised (snippet 10.3)
    assert bet_size(0.4, n_classes=3) > 0  # above 1/3 with three outcomes
    with pytest.raises(DataError):
        bet_size(1.2)
    with pytest.raises(ConfigError):
        bet_size(0.5, step=2)


def test_bet_size_does_not_import_scipy_stats() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from trade2026.labeling import bet_size; bet_size([0.2, 0.7]); "
        "assert 'scipy.stats' not in sys.modules, 'scipy.stats was imported'"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_metalabel_pipeline() -> None:
    from trade2026.datasets import generate

    d = generate(symbols=2, years=3, seed=1, intraday_symbols=1, intraday_days=1, ticks_per_day=100)
    bars = d.bars_1d.filter(pl.col("symbol") == d.bars_1d["symbol"][0])
    res = metalabel(bars, "sma_cross:fast=10,slow=30", model="logit", vertical=10)
    ev = res.events
    assert ev.columns == ["t0", "t1", "barrier", "side", "ret", "label", "prob", "size"]
    assert ev["prob"].is_between(0, 1).all() and ev["size"].is_between(0, 1).all()
    # sized only when the meta model favours the bet
    assert (ev.filter(pl.col("prob") <= 0.5)["size"] == 0).all()
    assert res.classification["primary"]["precision"] == pytest.approx(ev["label"].mean())
    assert res.returns["primary"]["bets"] == ev.height
    assert res.returns["meta_filtered"]["bets"] == int((ev["prob"] > 0.5).sum())
    assert res.model.predict_proba(np.zeros((1, len(res.feature_names)))).shape == (1, 2)
    with pytest.raises(ConfigError, match="unknown model"):
        metalabel(bars, "sma_cross", model="svm")
    with pytest.raises(DataError, match="at least 200"):
        metalabel(bars.head(100), "sma_cross")


def test_public_names() -> None:
    import trade2026.labeling as labeling

    assert labeling.__all__ == [
        "MODELS",
        "MODEL_PARAMS",
        "SEARCH_OBJECTIVES",
        "EventLabels",
        "LabelBarsResult",
        "MetaLabelCPCVResult",
        "MetaLabelResult",
        "MetaModel",
        "PredictResult",
        "average_uniqueness",
        "bet_size",
        "concurrent_events",
        "cusum_filter",
        "daily_vol",
        "label_bars",
        "label_events",
        "load_metalabel_model",
        "log_metalabel_model",
        "meta_features",
        "metalabel",
        "metalabel_bars",
        "metalabel_cpcv",
        "predict_bars",
        "predict_frame",
        "return_attribution",
        "sequential_bootstrap",
        "time_decay",
        "triple_barrier",
    ]
