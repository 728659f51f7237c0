"""Cross-validation without leakage for overlapping financial labels (AFML ch. 7, 12)."""

from trade2026.validation._cv import CombinatorialPurgedCV, PurgedKFold, label_spans

__all__ = ["CombinatorialPurgedCV", "PurgedKFold", "label_spans"]
