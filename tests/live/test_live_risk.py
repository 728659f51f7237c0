"""Pre-trade risk: each check at its boundary, the token bucket, states, the kill switch, risk files."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from trade2026.errors import ConfigError
from trade2026.live import REASONS, RiskEngine, RiskLimits, TokenBucket, load_risk


def _check(limits: RiskLimits, qty: float = 10.0, **kw: Any) -> str | None:
    args: dict[str, Any] = {"price": None, "reference": 100.0, "position": 0.0, "gross": 0.0, "daily_pnl": 0.0}
    args.update(kw)
    d = RiskEngine(limits).check("AAA", qty, now=0.0, **args)
    return None if d is None else d.code


@pytest.mark.parametrize(
    ("limits", "at", "over", "code"),
    [
        (RiskLimits(max_order_qty=10), {"qty": 10.0}, {"qty": 10.5}, "max_order_qty"),
        (RiskLimits(max_order_qty=10), {"qty": -10.0}, {"qty": -11.0}, "max_order_qty"),
        (RiskLimits(max_order_notional=1000), {"qty": 10.0}, {"qty": 10.01}, "max_order_notional"),
        (RiskLimits(max_position=15), {"qty": 10.0, "position": 5.0}, {"qty": 11.0, "position": 5.0}, "max_position"),
        (RiskLimits(max_gross=1500), {"gross": 500.0}, {"gross": 500.5}, "max_gross"),
        (RiskLimits(price_band_bps=100), {"price": 101.0}, {"price": 101.02}, "price_band"),
        (RiskLimits(price_band_bps=100), {"price": 99.0}, {"price": 98.98}, "price_band"),
        (RiskLimits(max_daily_loss=500), {"daily_pnl": -499.99}, {"daily_pnl": -500.0}, "max_daily_loss"),
        (RiskLimits(), {"reference": 100.0}, {"reference": None}, "no_reference_price"),
        (RiskLimits(), {"reference": 100.0}, {"reference": math.nan}, "no_reference_price"),
    ],
)
def test_each_limit_passes_at_its_boundary_and_denies_past_it(
    limits: RiskLimits, at: dict[str, Any], over: dict[str, Any], code: str
) -> None:
    assert _check(limits, **at) is None
    assert _check(limits, **over) == code
    assert code in REASONS


def test_limits_that_reduce_a_position_are_allowed_past_position_and_loss_limits() -> None:
    assert _check(RiskLimits(max_position=5), qty=-10.0, position=20.0) is None
    assert _check(RiskLimits(max_daily_loss=100), qty=-10.0, position=10.0, daily_pnl=-200.0) is None


def test_token_bucket_default_is_100_per_second() -> None:
    b = TokenBucket(100.0, 100.0)
    assert all(b.take(0.0) for _ in range(100))
    assert not b.take(0.0)
    assert not b.take(0.0099)  # 0.99 of a token back
    assert b.take(0.0101)
    r = RiskEngine()
    codes = [r.check("A", 1, price=None, reference=1.0, position=0, gross=0, daily_pnl=0, now=5.0) for _ in range(101)]
    assert all(c is None for c in codes[:100]) and codes[100] is not None and codes[100].code == "rate_limit"


def test_states_and_the_latched_kill_switch() -> None:
    r = RiskEngine()
    kw: dict[str, Any] = {"price": None, "reference": 100.0, "gross": 0.0, "daily_pnl": 0.0, "now": 0.0}
    r.set_state("reducing")
    assert r.check("A", 5, position=0.0, **kw).code == "reducing"  # type: ignore[union-attr]
    assert r.check("A", -5, position=10.0, **kw) is None
    assert r.check("A", -15, position=10.0, **kw).code == "reducing"  # type: ignore[union-attr]  # flips
    r.set_state("halted", "operator")
    assert r.check("A", -5, position=10.0, **kw).code == "halted"  # type: ignore[union-attr]
    r.kill("test")
    assert r.check("A", -5, position=10.0, **kw).code == "kill_switch"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="kill switch"):
        r.set_state("active")
    r.reset_kill()
    assert r.check("A", 5, position=0.0, **kw) is None


def test_risk_file(tmp_path: Path) -> None:
    f = tmp_path / "risk.toml"
    f.write_text("[risk]\nmax_order_qty = 100\nrate_per_s = 500\nburst = 1000\n")
    lim = load_risk(f)
    assert (lim.max_order_qty, lim.rate_per_s, lim.burst) == (100, 500, 1000)
    f.write_text("max_qty = 1\n")
    with pytest.raises(ConfigError, match=r"risk\.toml.*unknown key.*max_qty"):
        load_risk(f)
    f.write_text("max_order_qty = -1\n")
    with pytest.raises(ConfigError, match=r"risk\.toml.*max_order_qty"):
        load_risk(f)
    f.write_text("max_order_qty = [\n")
    with pytest.raises(ConfigError, match=r"risk\.toml.*not valid TOML"):
        load_risk(f)
    with pytest.raises(ConfigError, match="does not exist"):
        load_risk(tmp_path / "nope.toml")
