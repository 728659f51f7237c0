"""Figure specifications: one description of a chart that both renderers draw.

A :class:`Figure` is a stack of :class:`Axes` (rows sharing the x axis by default), each holding
traces (:class:`Line`, :class:`Bars`, :class:`Markers`, :class:`Band`, :class:`Histogram`,
:class:`Heatmap`, :class:`Rule`). The HTML page draws it with plotly (interactive), the PNG path with
matplotlib (:func:`trade2026.reports.figure_png`), so a figure is defined once and looks the same in
both. Data are plain sequences (lists, numpy arrays, polars or pandas series); nothing here imports
a plotting library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# One palette for every report (colour-blind safe, Okabe-Ito order).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
UP = "#1a9850"
DOWN = "#d73027"


def _values(v: Any) -> list[Any]:
    """A plain list of a numpy array, polars/pandas series or sequence (None stays None)."""
    if v is None:
        return []
    if hasattr(v, "to_list"):
        return list(v.to_list())
    if hasattr(v, "tolist"):
        return list(v.tolist())
    return list(v)


@dataclass(frozen=True)
class Line:
    """A line ``y`` over ``x``; ``fill`` shades the area down to zero (drawdowns)."""

    x: Any
    y: Any
    name: str = ""
    color: str | None = None
    fill: bool = False
    dash: bool = False
    width: float = 1.4


@dataclass(frozen=True)
class Bars:
    """Vertical bars ``y`` at ``x``; ``signed`` colours positive bars green and negative red."""

    x: Any
    y: Any
    name: str = ""
    color: str | None = None
    signed: bool = False
    offset: float = 0.0  # grouped bars: shift (in bar widths, categorical x only)


@dataclass(frozen=True)
class Markers:
    """Points at (x, y); ``symbol`` is ``circle``, ``triangle-up`` or ``triangle-down``; ``text`` hover labels."""

    x: Any
    y: Any
    name: str = ""
    color: str | None = None
    symbol: str = "circle"
    size: float = 7.0
    text: Any = None


@dataclass(frozen=True)
class Band:
    """A shaded band between ``lo`` and ``hi`` over ``x`` (percentile bands of a fan chart)."""

    x: Any
    lo: Any
    hi: Any
    name: str = ""
    color: str | None = None
    opacity: float = 0.25


@dataclass(frozen=True)
class Histogram:
    """A histogram of ``values`` (non-finite values dropped) with ``bins`` bins."""

    values: Any
    name: str = ""
    color: str | None = None
    bins: int = 40
    density: bool = False


@dataclass(frozen=True)
class Heatmap:
    """A matrix ``z`` (rows ``y``, columns ``x``) with its values written in the cells.

    ``percent`` writes cells as percentages; ``diverging`` centres a red-green scale on zero.
    """

    z: Any
    x: Any
    y: Any
    name: str = ""
    percent: bool = False
    diverging: bool = True
    decimals: int = 1


@dataclass(frozen=True)
class Rule:
    """A horizontal (``y``) or vertical (``x``) reference line."""

    x: Any = None
    y: Any = None
    color: str = "#555555"
    dash: bool = True


Trace = Line | Bars | Markers | Band | Histogram | Heatmap | Rule


@dataclass(frozen=True)
class Axes:
    """One row of a figure: its traces and labels.

    ``y_percent`` formats the y axis as percentages (the values are fractions); ``height`` is the
    row's relative height; ``categorical_x`` treats x values as labels (bar charts of windows).
    """

    traces: Sequence[Trace]
    y_label: str = ""
    x_label: str = ""
    y_percent: bool = False
    x_percent: bool = False
    log_y: bool = False
    height: float = 1.0
    categorical_x: bool = False


_KEY = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Figure:
    """A chart: a title and one or more :class:`Axes` rows.

    ``key`` names the figure's PNG file (``<report stem>_<key>.png``) and must be a snake_case
    identifier; ``share_x`` links the rows' x axes; ``height`` is in pixels for the HTML page (the
    PNG scales it).
    """

    key: str
    title: str
    axes: Sequence[Axes]
    share_x: bool = True
    height: int = 420
    caption: str = ""

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            msg = f"figure key must be a snake_case identifier ([a-z][a-z0-9_]*), got {self.key!r}"
            raise ValueError(msg)
        if not self.axes:
            msg = f"figure {self.key!r} has no axes"
            raise ValueError(msg)


def color_of(trace: Any, index: int) -> str:
    """The trace's colour, else the palette's ``index``-th."""
    c = getattr(trace, "color", None)
    return c if c else PALETTE[index % len(PALETTE)]


__all__ = [
    "Axes",
    "Band",
    "Bars",
    "DOWN",
    "Figure",
    "Heatmap",
    "Histogram",
    "Line",
    "Markers",
    "PALETTE",
    "Rule",
    "Trace",
    "UP",
    "color_of",
]
