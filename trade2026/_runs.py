"""Runs side by side (what ``t26 runs compare`` shows) and run-id prefixes.

:func:`trade2026.tracking.compare_runs` reads the runs; this module matches prefixes, turns the
runs into a :class:`RunComparison` (metrics and params side by side, the equity of the return
series each run logged with :meth:`trade2026.tracking.Run.log_returns`) and draws its report.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trade2026.errors import InputError, NotFoundError

RETURNS_ARTIFACT = "returns.csv"


def match_prefix(ref: str, ids: Sequence[str], where: str) -> str:
    """The one id of ``ids`` starting with ``ref``; NotFoundError when none does, InputError
    listing the candidates when several do."""
    hits = sorted(i for i in ids if i.startswith(ref))
    if len(hits) == 1:
        return hits[0]
    if not hits:
        msg = f"no MLflow run {ref!r} in {where}; list runs with `t26 runs ls`"
        raise NotFoundError(msg)
    shown = ", ".join(hits[:10]) + (f" and {len(hits) - 10} more" if len(hits) > 10 else "")
    msg = f"run id prefix {ref!r} matches {len(hits)} runs: {shown}; give more characters"
    raise InputError(msg)


def returns_csv(ts: Any, returns: Mapping[str, Any]) -> str:
    """``ts`` (ISO timestamps) and one column of simple returns per name, as CSV text."""
    import numpy as np
    import polars as pl

    frame = pl.DataFrame({"ts": list(ts)}).with_columns(
        [pl.Series(str(k), np.asarray(v, dtype=np.float64)) for k, v in returns.items()]
    )
    if isinstance(frame.schema["ts"], pl.Datetime):
        frame = frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.f%:z"))
    buf = io.StringIO()
    frame.write_csv(buf)
    return buf.getvalue()


def _label(run: Mapping[str, Any]) -> str:
    return f"{run['name']} {run['run_id'][:8]}"


@dataclass(frozen=True)
class RunComparison:
    """Runs side by side.

    ``runs``: each run's head (run_id, name, status, start, duration_s); ``metrics`` and ``params``:
    rows ``{"metric"|"param": name, <run_id>: value, ...}`` (every name any run has; None where a
    run lacks it); ``curves``: ``{run_id: polars DataFrame (ts, one column of simple returns per
    series)}`` for the runs that logged returns.
    """

    runs: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    params: list[dict[str, Any]]
    curves: dict[str, Any] = field(default_factory=dict, repr=False)

    def performance(self) -> list[dict[str, Any]]:
        """Core metrics (:func:`trade2026.core.returns_metrics`) of every logged return series."""
        from trade2026.core import periods_per_year, returns_metrics

        rows = []
        for run in self.runs:
            frame = self.curves.get(run["run_id"])
            if frame is None:
                continue
            ppy = periods_per_year(frame["ts"]) if frame.height > 2 else 252.0
            for col in frame.columns[1:]:
                m = returns_metrics(frame[col].to_numpy(), ppy)
                rows.append({"run_id": run["run_id"], "series": col, **{k: m[k] for k in _PERF}})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "metrics": self.metrics,
            "params": self.params,
            "performance": self.performance(),
        }

    def report(self) -> Any:
        """The comparison as a :class:`trade2026.reports.Report`: runs, metrics, equity overlaid."""
        from trade2026.core import drawdown
        from trade2026.reports import Axes, Figure, Line, Report, Rule

        labels = {r["run_id"]: _label(r) for r in self.runs}
        page = Report(
            "Runs compared: " + ", ".join(labels.values()),
            meta={"runs": len(self.runs), "with returns": sum(r["run_id"] in self.curves for r in self.runs)},
        )
        page.section("Runs").table(self.runs)

        def relabel(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in ((labels.get(k, k), v) for k, v in r.items())} for r in rows]

        page.section("Metrics", basis="as each run logged them").table(relabel(self.metrics))
        perf = self.performance()
        if perf:
            s = page.section("Equity", basis="the simple returns each run logged, compounded")
            s.table([{**r, "run_id": labels[r["run_id"]]} for r in perf])
            lines, dds = [], []
            for run_id, frame in self.curves.items():
                x = frame["ts"].to_list()
                for col in frame.columns[1:]:
                    r = frame[col].fill_null(0.0).to_numpy()
                    eq = (1.0 + r).cumprod()
                    name = f"{labels[run_id]} {col}" if frame.width > 2 else labels[run_id]
                    lines.append(Line(x, eq - 1.0, name=name))
                    dds.append(Line(x, drawdown(r), name=name))
            s.figure(
                Figure(
                    "equity",
                    "Cumulative return and drawdown",
                    [
                        Axes([*lines, Rule(y=0.0)], y_label="cumulative return", y_percent=True, height=2.0),
                        Axes(dds, y_label="drawdown", y_percent=True),
                    ],
                    height=560,
                )
            )
        page.section("Parameters").table(relabel(self.params))
        return page


_PERF = ("total_return", "cagr", "ann_vol", "sharpe", "max_drawdown", "n_obs")


def _side_by_side(runs: Sequence[Mapping[str, Any]], key: str, label: str) -> list[dict[str, Any]]:
    names = sorted({k for r in runs for k in r[key]})
    return [{label: n, **{r["run_id"]: r[key].get(n) for r in runs}} for n in names]


def compare(client: Any, runs: Sequence[Mapping[str, Any]]) -> RunComparison:
    """A :class:`RunComparison` of runs as :func:`trade2026.tracking.get_run` gives them."""
    import polars as pl

    ids = [r["run_id"] for r in runs]
    if len(ids) < 2:
        msg = "give at least two run ids to compare (`t26 runs ls` lists them)"
        raise InputError(msg)
    if len(set(ids)) < len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        msg = f"run {', '.join(dup)} is given twice; compare distinct runs"
        raise InputError(msg)
    curves = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in runs:
            if RETURNS_ARTIFACT not in r["artifacts"]:
                continue
            local = client.download_artifacts(r["run_id"], RETURNS_ARTIFACT, str(Path(tmp) / r["run_id"][:12]))
            frame = pl.read_csv(local, try_parse_dates=True)
            curves[r["run_id"]] = frame.sort("ts") if "ts" in frame.columns else frame
    heads = [{k: r[k] for k in ("run_id", "name", "status", "start", "duration_s")} for r in runs]
    metrics, params = _side_by_side(runs, "metrics", "metric"), _side_by_side(runs, "params", "param")
    return RunComparison(heads, metrics, params, curves)
