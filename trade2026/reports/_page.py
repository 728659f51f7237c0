"""The one HTML report page: a header naming what was run, sections with a basis, tables and figures.

A :class:`Report` collects :class:`Section` objects; :meth:`Report.write` writes one self-contained
HTML file (the installed plotly.js embedded once in a ``<script>`` element, no CDN or other network
fetch) and, beside it, every figure as ``<stem>_<key>.png`` drawn by matplotlib from the same
:class:`~trade2026.reports.Figure` specification.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trade2026.reports._format import format_value, is_percent
from trade2026.reports._spec import Figure

_CSS = """
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--head:#f6f8fa;--accent:#0072B2}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:1.5em auto;
padding:0 1em;color:var(--fg);line-height:1.45}
h1{font-size:1.55em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid var(--line);padding-bottom:.2em;
margin-top:2em}h3{font-size:1.02em;margin:1.2em 0 .3em}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1.2em;font-size:13px;
background:var(--head);border:1px solid var(--line);border-radius:6px;padding:.7em 1em}
.meta dt{color:var(--muted)}.meta dd{margin:0}
.basis{color:var(--muted);font-size:13px;margin:.1em 0 .6em}.note{font-size:13px;color:var(--muted)}
nav{font-size:13px;margin:1em 0}nav a{margin-right:1em;color:var(--accent);text-decoration:none}
table{border-collapse:collapse;margin:.4em 0 1.2em;font-size:12.5px;font-variant-numeric:tabular-nums}
td,th{border:1px solid var(--line);padding:3px 8px;text-align:right;white-space:nowrap}
th{background:var(--head);font-weight:600}td.l,th.l{text-align:left}
.scroll{overflow-x:auto;max-height:32em;overflow-y:auto}
.neg{color:#b31d28}.fig{margin:.3em 0 1.2em}.fig .cap{font-size:12.5px;color:var(--muted)}
footer{margin-top:3em;font-size:12px;color:var(--muted)}
"""
_LABEL_COLUMNS = ("metric", "name", "statistic", "setting")


def _cell(value: Any, percent: bool) -> str:
    text = html.escape(format_value(value, percent=percent))
    neg = isinstance(value, int | float) and not isinstance(value, bool) and value < 0
    left = not isinstance(value, int | float) or isinstance(value, bool)
    cls = " ".join(c for c in ("neg" if neg else "", "l" if left else "") if c)
    return f"<td class='{cls}'>{text}</td>" if cls else f"<td>{text}</td>"


def table_html(rows: Sequence[Mapping[str, Any]], *, percent: Iterable[str] = (), max_rows: int | None = None) -> str:
    """An HTML table of row dicts (columns in first-seen order).

    A column is shown as percentages when its name is in ``percent`` or :func:`is_percent`; in a
    two-column ``metric``/``value`` table the row's metric name decides.
    """
    if not rows:
        return "<p class='note'>none</p>"
    pct = set(percent)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    label = next((c for c in cols if c in _LABEL_COLUMNS), None)
    shown = rows if max_rows is None else rows[:max_rows]
    head = "".join(
        f"<th class='l'>{html.escape(str(c))}</th>" if c == label else f"<th>{html.escape(str(c))}</th>" for c in cols
    )
    body = []
    for r in shown:
        row_pct = label is not None and is_percent(str(r.get(label, "")))
        cells = []
        for c in cols:
            v = r.get(c)
            p = c != label and (c in pct or is_percent(c) or row_pct)
            cells.append(_cell(v, p))
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(rows) > max_rows:
        more = f"<p class='note'>{max_rows} of {len(rows)} rows shown.</p>"
    return (
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}"
    )


def metrics_rows(metrics: Mapping[str, Any], *, columns: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """A metrics mapping as ``metric``/``value`` rows; with ``columns`` (name -> metrics), one value
    column per name (strategy, benchmark, ...) side by side."""
    if columns is None:
        return [{"metric": k, "value": v} for k, v in metrics.items()]
    keys = list(dict.fromkeys([*metrics, *(k for m in columns.values() for k in m)]))
    return [{"metric": k, **{name: m.get(k) for name, m in columns.items()}} for k in keys]


@dataclass
class Section:
    """A titled part of a report; ``basis`` says what data its numbers describe (e.g. "stitched
    out-of-sample returns of the walk-forward")."""

    title: str
    basis: str = ""
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def text(self, text: str) -> Section:
        """A paragraph of plain text (escaped)."""
        self.blocks.append(("text", text))
        return self

    def table(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        title: str = "",
        percent: Iterable[str] = (),
        max_rows: int | None = None,
    ) -> Section:
        """A table of row dicts; see :func:`table_html` for how percentages are chosen."""
        self.blocks.append(("table", (title, list(rows), tuple(percent), max_rows)))
        return self

    def metrics(self, metrics: Mapping[str, Any], *, title: str = "", **columns: Mapping[str, Any]) -> Section:
        """A metrics table; keyword ``columns`` put more series' metrics beside it (``benchmark=...``)."""
        rows = metrics_rows(metrics, columns={"value": metrics, **columns} if columns else None)
        return self.table(rows, title=title)

    def figure(self, fig: Figure | None) -> Section:
        """A figure (``None`` is skipped, so optional figures can be passed straight through)."""
        if fig is not None:
            self.blocks.append(("figure", fig))
        return self


def _anchor(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


@dataclass
class Report:
    """An HTML report: a title, a settings header and sections.

    Parameters
    ----------
    title : str
        The page title, naming the subject (``"Backtest sma_cross:fast=20,slow=50 on AAPL, MSFT"``).
    meta : mapping, optional
        What was run, shown as a header list: symbols, dates, costs, settings. Values are formatted
        like table cells (lists joined, timestamps as dates).
    """

    title: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str, *, basis: str = "") -> Section:
        """Add and return a new section."""
        s = Section(title, basis)
        self.sections.append(s)
        return s

    @property
    def figures(self) -> list[Figure]:
        """Every figure of the report, in page order."""
        return [b for s in self.sections for kind, b in s.blocks if kind == "figure"]

    def _check_keys(self) -> None:
        keys = [f.key for f in self.figures]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            msg = f"figure keys must be unique in a report (they name the PNG files): {', '.join(dup)}"
            raise ValueError(msg)

    def to_html(self) -> str:
        """The self-contained page: plotly.js embedded once when there is a figure, no external fetch."""
        from trade2026.reports._plotly import figure_div, plotly_js

        self._check_keys()
        figs = self.figures
        out = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width,initial-scale=1'>",
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style>",
        ]
        if figs:
            out.append(f"<script>{plotly_js()}</script>")
        out += ["</head><body>", f"<h1>{html.escape(self.title)}</h1>"]
        if self.meta:
            items = "".join(
                f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(format_value(v))}</dd>" for k, v in self.meta.items()
            )
            out.append(f"<dl class='meta'>{items}</dl>")
        if len(self.sections) > 2:
            links = "".join(f"<a href='#{_anchor(s.title)}'>{html.escape(s.title)}</a>" for s in self.sections)
            out.append(f"<nav>{links}</nav>")
        for s in self.sections:
            out.append(f"<h2 id='{_anchor(s.title)}'>{html.escape(s.title)}</h2>")
            if s.basis:
                out.append(f"<p class='basis'>Basis: {html.escape(s.basis)}</p>")
            for kind, b in s.blocks:
                if kind == "text":
                    out.append(f"<p class='note'>{html.escape(b)}</p>")
                elif kind == "table":
                    title, rows, pct, max_rows = b
                    if title:
                        out.append(f"<h3>{html.escape(title)}</h3>")
                    out.append(table_html(rows, percent=pct, max_rows=max_rows))
                else:
                    cap = f"<div class='cap'>{html.escape(b.caption)}</div>" if b.caption else ""
                    out.append(f"<div class='fig'><h3>{html.escape(b.title)}</h3>{figure_div(b)}{cap}</div>")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        out.append(f"<footer>Trade2026 report, written {stamp}.</footer></body></html>")
        return "\n".join(out)

    def write(self, path: str | Path, *, png: bool = True) -> list[Path]:
        """Write the HTML page at ``path`` and, with ``png``, each figure as ``<stem>_<key>.png``
        beside it (matplotlib); returns the files written, the page first."""
        from trade2026.reports._mpl import save_png

        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_html(), encoding="utf-8")
        written = [out]
        if png:
            written += [save_png(f, out.with_name(f"{out.stem}_{f.key}.png")) for f in self.figures]
        return written
