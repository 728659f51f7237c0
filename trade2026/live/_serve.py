"""``serve``: the workflow behind ``t26 serve`` (venue, feed, strategy, risk, journal, lake sink)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError
from trade2026.live._models import is_model_spec, load_model_strategy
from trade2026.live._replay import replay_paper
from trade2026.live._risk import RiskLimits, load_risk
from trade2026.live._sink import LakeSink


@dataclass
class ServeResult:
    """A finished ``serve`` run; ``.to_dict()`` is ``t26 serve --json``."""

    run_id: str
    run_dir: str
    venue: str
    strategy: str
    result: Any  # ReplayResult or StreamResult
    lake_rows: dict[str, int]
    risk: dict[str, Any]
    model: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_dir": self.run_dir,
            "venue": self.venue,
            "strategy": self.strategy,
            "model": self.model,
            **self.result.to_dict(),
            "risk_limits": self.risk,
            "lake_rows": self.lake_rows,
        }


def default_run_id(venue: str) -> str:
    """``<venue kind><UTC time>``, e.g. ``paper20261201T083600``: a new run, a new journal."""
    kind = "".join(ch for ch in venue.split(":", 1)[0] if ch.isalnum()) or "run"
    return f"{kind}{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"


@contextmanager
def stop_on_signals(enabled: bool) -> Iterator[Callable[[], bool]]:
    """A ``should_stop`` flag set by SIGINT / SIGTERM while the block runs (main thread only)."""
    flag = threading.Event()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield flag.is_set
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, lambda *_: flag.set())
    try:
        yield flag.is_set
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def serve(
    strategy: str,
    *,
    lake: Any,
    home: str | Path,
    venue: str = "paper",
    replay: str | None = "bars_1d",
    symbols: list[str] | None = None,
    signal_table: str | None = None,
    risk: str | Path | RiskLimits | None = None,
    config: Any = None,
    speed: float = 0.0,
    run_id: str | None = None,
    on_stop: str = "leave",
    write_lake: bool = True,
    handle_signals: bool = False,
    bar_seconds: float = 60.0,
    max_bars: int | None = None,
    log: Callable[[str], None] | None = None,
    api: Any = None,
) -> ServeResult:
    """Run the live loop until the feed ends or a stop signal, and return its summary.

    Parameters
    ----------
    strategy : str
        A backtest strategy spec, e.g. ``"sma_cross:fast=20,slow=50"`` or ``"signal:pred"``, or a
        registered model, ``"model:NAME"`` (newest version), ``"model:NAME@ALIAS"``, ``"model:NAME/3"``
        (a meta-label model or an RL agent; it decides at each bar's close from the bars so far).
    lake : trade2026.lake.Lake
        Source of the replayed bars and signal table, and sink of the ``live_*`` tables.
    home : str or Path
        Home directory; the run's journal is ``<home>/live/<run_id>``.
    venue : str
        ``"paper"``: the in-process paper venue over a replay of ``replay``;
        ``"prism://HOST:PORT"``: a ``t26 sim venue`` process (a run with a journal resumes there);
        ``"ccxt:EXCHANGE"``: the exchange's testnet through ccxt (one ``BASE/QUOTE`` symbol; keys
        from the environment variables T26_CCXT_API_KEY and T26_CCXT_SECRET).
    replay : str
        The bars table the paper venue replays.
    symbols : list of str, optional
        Only these symbols (default: all in the table, an RL agent's own; the PRISM venue trades its
        one symbol).
    signal_table : str, optional
        For ``signal:COLUMN``: the lake table holding COLUMN (joined on symbol, ts).
    risk : path or RiskLimits, optional
        A risk TOML file (see :func:`load_risk`) or limits.
    config : BacktestConfig, optional
        Costs, sizing, fill and starting cash, as in the backtest.
    speed : float
        Bars per second (0: as fast as possible).
    run_id : str, optional
        The run's name (default: venue kind and UTC time); a new run needs a new name.
    on_stop : {"leave", "cancel"}
        Working orders at the end or on SIGINT / SIGTERM.
    write_lake : bool
        Write ``live_orders``, ``live_fills``, ``live_positions``, ``live_pnl``.
    handle_signals : bool
        Stop cleanly on SIGINT / SIGTERM (the CLI sets it).
    bar_seconds : float
        With a streaming venue: bar length in venue seconds.
    max_bars : int, optional
        With a streaming venue: stop after this many bars (default: until a signal).
    log : callable, optional
        Progress messages (the CLI's stderr logger).
    api : ApiSettings, optional
        Run the control API (see :func:`~trade2026.live.api_settings`) while the loop runs; its
        address goes to stderr as ``control API on http://HOST:PORT``.
    """
    say = log or (lambda _m: None)
    limits = risk if isinstance(risk, RiskLimits) else load_risk(risk)
    live = venue.startswith(("prism://", "ccxt:"))
    if venue != "paper" and not live:
        msg = (
            f"unknown venue {venue!r}; use 'paper' (the paper venue over a replay of a bars table), "
            "prism://HOST:PORT (a t26 sim venue process) or ccxt:EXCHANGE (its testnet; needs the ccxt extra)"
        )
        raise ConfigError(msg, option="venue")
    if not live and not replay:
        msg = "the paper venue needs a bars table to replay (replay='bars_1d')"
        raise ConfigError(msg, option="replay")
    model = None
    if is_model_spec(strategy):
        from trade2026.config import load_settings

        model = load_model_strategy(strategy, lake=lake, settings=load_settings(home))
        symbols = symbols or model.symbols
        say(f"serve: model {model.version['name']} version {model.version['version']} ({model.kind})")
    rid = run_id or default_run_id(venue)
    run_dir = Path(home) / "live" / rid
    n = 1
    while run_id is None and run_dir.exists():  # a default id is a new run: never another run's journal
        n += 1
        rid = f"{default_run_id(venue)}_{n}"
        run_dir = Path(home) / "live" / rid
    if not live and (run_dir / "journal.log").exists():
        msg = (
            f"run {rid} already has a journal in {run_dir}; the paper venue keeps no state between runs, "
            "so pick a new run_id"
        )
        raise ConfigError(msg, option="run_id")
    bars = None if live else _replay_bars(lake, str(replay), symbols, strategy if model is None else "", signal_table)
    target: Any = venue
    if venue.startswith("prism://"):
        from trade2026.live._prism import PrismClient

        PrismClient(venue, timeout=2.0).close()  # unreachable: say so before anything is created
    elif live:
        target = _ccxt_venue(venue, symbols)
    control = None
    if api is not None:
        from trade2026.live._control import Control

        control = Control(venue if live else f"paper:{replay}")
    sink = LakeSink(lake, rid) if write_lake else None
    where = venue if bars is None else f"paper venue over {replay} ({bars['symbol'].n_unique()} symbols)"
    say(f"serve: run {rid}, {where}, journal {run_dir}")
    clock: list[Callable[[], int]] = []

    def setup(engine: Any) -> None:
        clock.append(time.time_ns if live else (lambda: int(engine.clock() * 1e9)))
        if sink is not None:
            engine.on_fill = sink.fill
            engine.on_order = lambda o: sink.order(o, clock[0]())
        if control is not None:
            control.attach(engine)

    def on_bar(engine: Any, ts: Any) -> None:
        if sink is not None:
            sink.mark(engine.portfolio, clock[0]())
        if control is not None:
            control.bar(engine, ts)

    result: Any
    try:
        with stop_on_signals(handle_signals) as stop_flag, _api_running(api, control, run_dir):
            should_stop = stop_flag if control is None else _stepping(control, stop_flag)
            common: dict[str, Any] = {
                "run_dir": run_dir,
                "config": config,
                "limits": limits,
                "setup": setup,
                "on_bar": on_bar,
                "should_stop": should_stop,
                "on_stop": on_stop,
            }
            if live:
                from trade2026.live._stream import run_stream

                sym = symbols[0] if symbols else "PRISM"
                lot = 1.0 if venue.startswith("prism://") else 1e-6  # whole shares; crypto in micro units
                result, _ = run_stream(
                    target, model or strategy, symbol=sym, bar_seconds=bar_seconds, max_bars=max_bars, lot=lot, **common
                )
            else:
                result, _, _ = replay_paper(bars, model or strategy, speed=speed, **common)
    finally:
        rows = sink.close() if sink is not None else {}
    if sink is not None and sink.error is not None:
        say(f"serve: writing the live tables failed: {sink.error}")
    say(f"serve: {result.bars} bars, {result.summary['orders']} orders, equity {result.summary['equity']:.2f}")
    info = model.to_dict() if model is not None else None
    return ServeResult(rid, str(run_dir), venue, strategy, result, rows, limits.to_dict(), info)


@contextmanager
def _api_running(api: Any, control: Any, run_dir: Path) -> Iterator[None]:
    """The control API while the block (the loop) runs; the control refuses actions once it ends."""
    if api is None:
        yield
        return
    from trade2026.live._api_server import serve_api

    with serve_api(api, control, run_dir):
        try:
            yield
        finally:
            control.close()


def _stepping(control: Any, should_stop: Callable[[], bool]) -> Callable[[], bool]:
    """The loops poll ``should_stop`` between market events: there the API's queued actions run
    and the snapshot is published."""

    def poll() -> bool:
        control.step()
        return should_stop()

    return poll


def _ccxt_venue(venue: str, symbols: list[str] | None) -> Any:
    """``ccxt:EXCHANGE`` on its testnet, keys from T26_CCXT_API_KEY / T26_CCXT_SECRET; probed once."""
    import os

    from trade2026.errors import T26Error
    from trade2026.live._ccxt import CcxtVenue

    if not symbols or len(symbols) != 1 or "/" not in symbols[0]:
        msg = f"venue {venue} trades one market: symbols=['BASE/QUOTE'], e.g. ['BTC/USDT']"
        raise ConfigError(msg, option="symbols")
    v = CcxtVenue(
        venue.split(":", 1)[1],
        symbols,
        quote_currency=symbols[0].split("/")[1],
        api_key=os.environ.get("T26_CCXT_API_KEY"),
        secret=os.environ.get("T26_CCXT_SECRET"),
        max_retries=1,
    )
    try:
        v.balances()
    except T26Error as exc:
        msg = f"venue {venue} is unreachable or refuses the keys: {exc}"
        raise ConfigError(msg, option="venue") from None
    v.max_retries = 5
    return v


def _replay_bars(lake: Any, table: str, symbols: list[str] | None, strategy: str, signal_table: str | None) -> Any:
    from trade2026.backtest import join_signal, parse_strategy

    bars = lake.read_bars(table, symbols=symbols)
    if not strategy:  # a model: it reads the bars themselves
        return bars
    name, params = parse_strategy(strategy)
    if name == "signal":
        column = params["column"]
        if not signal_table:
            msg = f"signal:{column} needs signal_table (a lake table with symbol, ts and {column})"
            raise ConfigError(msg, option="signal_table")
        bars = join_signal(bars, lake.read(signal_table), column, what=f"signal table {signal_table!r}")
    return bars
