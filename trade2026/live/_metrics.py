"""``/metrics``: Prometheus text from the loop's snapshot, plus the order-path latency histograms.

One :class:`prometheus_client.CollectorRegistry` per app (two engines in one process never share
series). The gauges and counters are read from the published snapshot when Prometheus scrapes,
so the loop pays only for the histogram observations.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

# order-path latency buckets (seconds): 50 us .. 5 s
BUCKETS = (5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The registry of one control API."""

    def __init__(self, control: Any) -> None:
        from prometheus_client import CollectorRegistry, Histogram

        self.control = control
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "t26_order_path_seconds",
            "Latency of the order path: op submit/cancel = risk, journal (fsync) and venue; venue_* = the venue call.",
            ["op"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_SnapshotCollector(control))

    def observe(self, op: str, seconds: float) -> None:
        self.latency.labels(op).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _SnapshotCollector:
    def __init__(self, control: Any) -> None:
        self.control = control

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        c = self.control
        s = c.snapshot
        lag = GaugeMetricFamily("t26_loop_lag_seconds", "Seconds since the trading loop last ran its step.")
        if c.health.loop is not None:
            lag.add_metric([], time.monotonic() - c.health.loop)
        yield lag
        up = GaugeMetricFamily("t26_loop_running", "1 while the trading loop runs (reconciled and not stopped).")
        up.add_metric([], 1.0 if c.running else 0.0)
        yield up
        if s is None:
            return
        orders = GaugeMetricFamily("t26_orders", "Orders seen by this process, by current status.", labels=["status"])
        for status, n in sorted(s["status_counts"].items()):
            orders.add_metric([status], n)
        yield orders
        rejects = CounterMetricFamily("t26_rejects", "Rejected orders by reason code.", labels=["reason"])
        for reason, n in sorted(s["rejects"].items()):
            rejects.add_metric([reason], n)
        yield rejects
        st = s["state"]
        for name, doc, value in (
            ("t26_equity", "Account equity (cash + positions at their marks).", s["pnl"]["equity"]),
            ("t26_cash", "Account cash.", s["pnl"]["cash"]),
            ("t26_killed", "1 when the kill switch is set.", 1.0 if st["killed"] else 0.0),
            ("t26_journal_lag_records", "Journal records not yet fsync'd.", s["journal_lag"]),
        ):
            g = GaugeMetricFamily(name, doc)
            g.add_metric([], value)
            yield g
        state = GaugeMetricFamily("t26_trading_state", "1 for the current trading state.", labels=["state"])
        for name in ("ACTIVE", "REDUCING", "HALTED"):
            state.add_metric([name], 1.0 if st["state"] == name else 0.0)
        yield state
        pos = GaugeMetricFamily("t26_position", "Position per symbol (shares).", labels=["symbol"])
        for p in s["positions"]:
            pos.add_metric([p["symbol"]], p["qty"])
        yield pos
