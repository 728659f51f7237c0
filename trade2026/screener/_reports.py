"""The screener's workflows over the lake: what ``t26 screen`` and ``t26 regime`` run, callable from a notebook.

Each function reads the bars through :meth:`trade2026.lake.Lake.read_bars` (so ``universe=`` means
the same everywhere: ``"sector:NAME"``, ``"AAA,BBB"`` or a list) and returns a result whose
``to_dict()`` is the command's ``--json`` (without the MLflow ``run_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from trade2026.core import BAR_COLUMNS
from trade2026.core import periods_per_year as infer_periods
from trade2026.errors import ConfigError, InputError
from trade2026.screener._expr import BOOL, NUM, compile_expression
from trade2026.screener._regime import MarkovRegimes, check_markov, fit_markov, quadrant_summary
from trade2026.screener._rules import market_index, rule_regimes
from trade2026.screener._saved import SavedScreen
from trade2026.screener._saved import changes as screen_changes
from trade2026.screener._saved import record as record_screen
from trade2026.screener._screen import HORIZONS, HistoryResult, ScreenResult, day_end, day_start, screen, screen_history


def _members(lake: Any, universe: str | Sequence[str] | None, benchmark: str | None, table: str) -> tuple[Any, list]:
    """The symbols to read, and those read only as the benchmark (left out of the universe)."""
    symbols = lake.resolve_universe(universe, table=table)
    if symbols is not None and benchmark and benchmark not in symbols:
        return [*symbols, benchmark], [benchmark]
    return symbols, []


@dataclass(frozen=True)
class ScreenReport:
    """A screen on one date, and for a saved screen its changes and the rows recorded.

    ``to_dict()`` is ``t26 screen --json``: ``screen`` (the saved screen's name or None), the
    :class:`ScreenResult` fields and, for saved screens, ``changes`` and (after :meth:`save`)
    ``written``.
    """

    result: ScreenResult
    name: str | None = None
    changes: dict[str, Any] | None = None
    written: dict[str, Any] | None = None

    def save(self, lake: Any) -> ScreenReport:
        """Record a saved screen's rows for its date in the ``screens`` table (replacing that date's)."""
        if self.name is None:
            msg = "only a saved screen is recorded; run it with saved=SavedScreen(...)"
            raise ConfigError(msg)
        return replace(self, written=record_screen(lake, self.name, self.result.date, self.result.rows))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"screen": self.name, **self.result.to_dict()}
        if self.changes is not None:
            out["changes"] = self.changes
        if self.written is not None:
            out["written"] = self.written
        return out


def screen_report(
    lake: Any,
    condition: str | None = None,
    *,
    rank: str | None = None,
    date: Any = None,
    top: int | None = None,
    universe: str | Sequence[str] | None = None,
    benchmark: str | None = None,
    table: str = "bars_1d",
    saved: SavedScreen | None = None,
    changes: bool = False,
) -> ScreenReport:
    """Screen the lake's bars on one date (see :func:`trade2026.screener.screen`).

    Parameters
    ----------
    lake : Lake
    condition, rank : str, optional
        The condition and the score expression (at least one, unless ``saved`` gives them).
    date : date or "YYYY-MM-DD", optional
        The date to screen (default the latest).
    top : int, optional
        Keep the best ``top`` matches.
    universe : str or list of str, optional
        ``"sector:NAME"``, ``"AAA,BBB"`` or a list (default every symbol in ``table``).
    benchmark : str, optional
        Symbol for ``beta_n``/``corr_n`` (default the equal-weight universe); read along when
        outside the universe, but not screened.
    saved : SavedScreen, optional
        A saved screen: its condition and rank, and its top, universe and benchmark unless given.
    changes : bool
        With ``saved``: compare with the screen's latest recorded date before this one.

    Expressions are compiled before the lake is read, so a bad one fails fast.
    """
    name = None
    if saved is not None:
        if condition or rank:
            msg = "a saved screen brings its own condition and rank; drop condition/rank"
            raise ConfigError(msg)
        name, condition, rank = saved.name, saved.condition, saved.rank
        top = top if top is not None else saved.top
        universe = universe if universe is not None else saved.universe
        benchmark = benchmark if benchmark is not None else saved.benchmark
    if changes and name is None:
        msg = "changes=True compares with the previous recorded run of a saved screen; pass saved="
        raise ConfigError(msg)
    if condition is None and rank is None:
        msg = 'give a condition (e.g. "rsi_14 < 30"), a rank expression, or a saved screen'
        raise InputError(msg)
    if condition:
        compile_expression(condition, want=BOOL, role="the screen condition")
    if rank:
        compile_expression(rank, want=NUM, role="the rank expression")
    symbols, exclude = _members(lake, universe, benchmark, table)
    end = day_end(date, "date")
    bars = lake.read_bars(table, symbols=symbols, end=end, columns=BAR_COLUMNS, missing="ignore")
    if end is not None and bars.height and bars["ts"].max() < end and _bars_after(lake, table, end):
        date = bars["ts"].max().date()  # a day without bars inside the data (a holiday): its last bar before
    result = screen(bars, condition, rank=rank, date=date, top=top, benchmark=benchmark, exclude=exclude)
    diff = screen_changes(lake, name, result.date, result.rows["symbol"].to_list()) if changes and name else None
    return ScreenReport(result, name=name, changes=diff)


def _bars_after(lake: Any, table: str, end: Any) -> bool:
    """Whether ``table`` has any bar after ``end`` (a date inside the data, not after its last bar)."""
    return lake.scan(table).filter(pl.col("ts") > end).select("ts").head(1).collect().height > 0


def screen_history_report(
    lake: Any,
    condition: str,
    *,
    start: Any = None,
    end: Any = None,
    rank: str | None = None,
    top: int | None = None,
    horizons: Sequence[int] = HORIZONS,
    universe: str | Sequence[str] | None = None,
    benchmark: str | None = None,
    table: str = "bars_1d",
) -> HistoryResult:
    """Run a screen on every date of the lake's bars and measure forward returns
    (see :func:`trade2026.screener.screen_history`; ``universe`` and ``benchmark`` as in
    :func:`screen_report`)."""
    if not condition:
        msg = 'a screen history needs a condition, e.g. "rsi_14 < 30"'
        raise InputError(msg)
    compile_expression(condition, want=BOOL, role="the screen condition")
    if rank:
        compile_expression(rank, want=NUM, role="the rank expression")
    symbols, exclude = _members(lake, universe, benchmark, table)
    bars = lake.read_bars(table, symbols=symbols, columns=BAR_COLUMNS, missing="ignore")
    return screen_history(
        bars, condition, start=start, end=end, rank=rank, top=top, horizons=horizons, benchmark=benchmark,
        exclude=exclude,
    )  # fmt: skip


@dataclass(frozen=True)
class RegimeReport:
    """Markov-switching regimes of a series and its rule-based trend x volatility quadrants.

    ``to_dict()`` is ``t26 regime --json``: the :class:`MarkovRegimes` fields, ``rules``
    (``current`` and ``quadrants``) and, when ``probabilities`` > 0, the smoothed probabilities of
    the last ``probabilities`` days.
    """

    fit: MarkovRegimes
    rules: dict[str, Any]
    probabilities: int = 0

    def probability_rows(self) -> pl.DataFrame:
        """The last ``probabilities`` days of smoothed probabilities (``ts`` as a date)."""
        tail = self.fit.probabilities.tail(self.probabilities)
        return tail.with_columns(pl.col("ts").dt.date().alias("ts"))

    def metrics(self) -> dict[str, float]:
        return {"log_likelihood": self.fit.log_likelihood, "aic": self.fit.aic, "bic": self.fit.bic}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.fit.to_dict(), "rules": self.rules}
        if self.probabilities:
            rows = self.probability_rows().with_columns(pl.col("ts").cast(pl.String))
            out["probabilities"] = rows.to_dicts()
        return out


def regime_report(
    lake: Any,
    symbol: str | None = None,
    *,
    universe: str | Sequence[str] | None = None,
    table: str = "bars_1d",
    start: Any = None,
    end: Any = None,
    k_regimes: int = 2,
    model: str = "regression",
    order: int = 1,
    probabilities: int = 0,
    periods_per_year: float | None = None,
) -> RegimeReport:
    """Market regimes of one symbol or of the equal-weight index of a universe.

    Parameters
    ----------
    lake : Lake
    symbol : str, optional
        The symbol to model; default the equal-weight index (:func:`trade2026.core.equal_weight_index`)
        of ``universe``.
    universe : str or list of str, optional
        The index members: ``"sector:NAME"``, ``"AAA,BBB"`` or a list (default every symbol).
    start, end : date, datetime or "YYYY-MM-DD", optional
        The first and last dates used (both inclusive).
    k_regimes, model, order
        As in :func:`trade2026.screener.fit_markov`.
    probabilities : int
        Also report the smoothed probabilities of the last this many days.
    periods_per_year : float, optional
        Annualises the regimes' means and volatilities; default inferred from the bars
        (:func:`trade2026.core.periods_per_year`).
    """
    check_markov(k_regimes, model, order)
    if probabilities < 0:
        msg = f"probabilities must be >= 0, got {probabilities}"
        raise InputError(msg)
    if symbol is not None and universe is not None:
        msg = "give a symbol or a universe, not both"
        raise ConfigError(msg)
    bars = lake.read_bars(
        table,
        universe=[symbol] if symbol is not None else universe,
        start=day_start(start, "start"),
        end=day_end(end, "end"),
        columns=BAR_COLUMNS,
        missing="ignore",
    )
    series = symbol or ("universe" if universe is None else f"universe[{_label(universe)}]")
    index = market_index(bars, symbol=symbol)
    ppy = infer_periods(index["ts"], override=periods_per_year)
    fit = fit_markov(index, k_regimes=k_regimes, model=model, order=order, series=series, periods_per_year=ppy)
    return RegimeReport(fit, quadrant_summary(rule_regimes(index), periods_per_year=ppy), probabilities)


def _label(universe: str | Sequence[str]) -> str:
    return universe if isinstance(universe, str) else ",".join(universe)


__all__ = ["RegimeReport", "ScreenReport", "regime_report", "screen_history_report", "screen_report"]
