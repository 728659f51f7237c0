"""Fixtures of the control API tests: an engine on the paper venue, its Control run by a loop thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trade2026.live import ApiServer, Control, PaperVenue, RiskLimits, TradingEngine, create_app

TOKEN = "t" * 20 + "-0123456789abcdef"  # 37 characters
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Running:
    """An engine whose loop (a thread) runs the control's queue every millisecond."""

    engine: TradingEngine
    venue: PaperVenue
    control: Control
    run_dir: Path
    stop: threading.Event
    thread: threading.Thread

    def halt_loop(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def records(self) -> list[dict[str, Any]]:
        return list(self.engine.journal.read_all())


def start_running(run_dir: Path, limits: RiskLimits | None = None, venue: PaperVenue | None = None) -> Running:
    v = venue or PaperVenue(100_000.0)
    if venue is None:
        v.set_quote("AAA", 99.0, 101.0)
    e = TradingEngine(v, run_dir, cash=100_000.0, limits=limits or RiskLimits(max_order_qty=100.0))
    c = Control("paper")
    c.attach(e)
    e.portfolio.mark("AAA", 100.0)
    e.start()
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            c.step()
            time.sleep(0.001)

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    while not c.running:
        time.sleep(0.001)
    return Running(e, v, c, run_dir, stop, t)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    r = start_running(tmp_path / "r1")
    try:
        yield r
    finally:
        r.halt_loop()
        r.control.close()
        r.engine.close()


@pytest.fixture
def client(running: Running) -> Iterator[Callable[..., Any]]:
    """``client(**create_app options)`` -> an httpx client of the app of ``running``, served by
    uvicorn on 127.0.0.1 (any free port) until the test ends."""
    import httpx

    made: list[tuple[ApiServer, httpx.Client]] = []

    def make(**kw: Any) -> httpx.Client:
        kw.setdefault("log", lambda _m: None)
        server = ApiServer(create_app(running.control, token=TOKEN, **kw), "127.0.0.1", 0).start()
        c = httpx.Client(base_url=server.url, timeout=30)
        made.append((server, c))
        return c

    yield make
    for server, c in made:
        c.close()
        server.stop()
