"""Events, labels and sample weights (AFML ch. 2-4, 10): the CUSUM filter, daily volatility, the
triple-barrier method, meta-labeling and bet sizing, sample uniqueness, return attribution, time
decay and the sequential bootstrap."""

from trade2026.labeling._barriers import triple_barrier
from trade2026.labeling._cpcv import MetaLabelCPCVResult, metalabel_cpcv
from trade2026.labeling._events import cusum_filter, daily_vol
from trade2026.labeling._meta import MODEL_PARAMS, MODELS, MetaLabelResult, bet_size, meta_features, metalabel
from trade2026.labeling._pipeline import EventLabels, label_events
from trade2026.labeling._registry import (
    MetaModel,
    PredictResult,
    load_metalabel_model,
    log_metalabel_model,
    predict_bars,
    predict_frame,
)
from trade2026.labeling._search import OBJECTIVES as SEARCH_OBJECTIVES
from trade2026.labeling._weights import (
    average_uniqueness,
    concurrent_events,
    return_attribution,
    sequential_bootstrap,
    time_decay,
)
from trade2026.labeling._workflow import LabelBarsResult, label_bars, metalabel_bars

__all__ = [
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
