"""Pre-trade risk: limits, an order-rate token bucket, price bands, trading states and a kill switch.

Every order passes :meth:`RiskEngine.check` before it is journaled; a denial carries a reason code
(:data:`REASONS`) and a message. Trading states: ``active`` (everything within limits),
``reducing`` (only orders that bring a position closer to flat), ``halted`` (nothing). The kill
switch latches ``halted``; the engine journals it, so it survives a restart until reset on purpose.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError

ACTIVE = "active"
REDUCING = "reducing"
HALTED = "halted"
STATES = (ACTIVE, REDUCING, HALTED)

REASONS = {
    "max_order_qty": "order quantity above max_order_qty",
    "max_order_notional": "order notional above max_order_notional",
    "max_position": "position after the order above max_position",
    "max_gross": "gross exposure after the order above max_gross",
    "rate_limit": "order rate above rate_per_s (token bucket empty)",
    "price_band": "order price outside price_band_bps of the reference price",
    "no_reference_price": "no last trade or mid to check the price against",
    "max_daily_loss": "the day's loss reached max_daily_loss",
    "reducing": "trading state is reducing and the order does not reduce the position",
    "halted": "trading state is halted",
    "kill_switch": "the kill switch is set",
}


@dataclass(frozen=True)
class RiskLimits:
    """Pre-trade limits; ``math.inf`` (the default) turns a limit off. Units: shares and currency.

    ``rate_per_s`` and ``burst`` size the order-rate token bucket (default 100 orders/s, burst 100);
    ``price_band_bps`` is the largest distance of a limit price (or a market order's reference)
    from the last trade or mid, in basis points; ``max_daily_loss`` is in currency, against the
    equity at the start of the day.
    """

    max_order_qty: float = math.inf
    max_order_notional: float = math.inf
    max_position: float = math.inf
    max_gross: float = math.inf
    rate_per_s: float = 100.0
    burst: float = 100.0
    price_band_bps: float = math.inf
    max_daily_loss: float = math.inf

    def check(self) -> RiskLimits:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or isinstance(v, bool) or math.isnan(v) or v <= 0:
                msg = f"risk limit {f.name} must be a number > 0, got {v!r}"
                raise ConfigError(msg, option=f.name)
        if math.isinf(self.rate_per_s) != math.isinf(self.burst):
            msg = "rate_per_s and burst must both be finite or both inf"
            raise ConfigError(msg, option="burst")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if math.isinf(v) else v) for k, v in asdict(self).items()}


def load_risk(path: str | Path | None = None, **overrides: Any) -> RiskLimits:
    """Limits from a TOML file (keys of :class:`RiskLimits` at top level or under ``[risk]``).

    Raises
    ------
    ConfigError
        The file is missing, is not TOML, or has an unknown key or a bad value; the message names it.
    """
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text())
        except FileNotFoundError:
            msg = f"risk file {p} does not exist"
            raise ConfigError(msg, option="risk") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            msg = f"risk file {p} is not valid TOML: {exc}"
            raise ConfigError(msg, option="risk") from None
        data = raw.get("risk", raw) if isinstance(raw.get("risk", raw), dict) else {}
        known = {f.name for f in fields(RiskLimits)}
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"risk file {p}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            raise ConfigError(msg, option="risk")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return RiskLimits(**data).check()
    except ConfigError as exc:
        where = f"risk file {path}: " if path is not None else ""
        raise ConfigError(f"{where}{exc}", option="risk") from None


@dataclass(frozen=True)
class Denial:
    """Why an order was refused: a reason code from :data:`REASONS` and a message with the numbers."""

    code: str
    message: str


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; :meth:`take` spends one at time ``now`` (seconds)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.t: float | None = None

    def take(self, now: float) -> bool:
        if math.isinf(self.rate):
            return True
        if self.t is not None and now > self.t:
            self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now if self.t is None else max(self.t, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RiskEngine:
    """Checks orders against :class:`RiskLimits` and holds the trading state and kill switch."""

    def __init__(self, limits: RiskLimits | None = None) -> None:
        self.limits = limits or RiskLimits()
        self.bucket = TokenBucket(self.limits.rate_per_s, self.limits.burst)
        self.state = ACTIVE
        self.killed = False
        self.halt_reason: str | None = None

    def set_state(self, state: str, reason: str | None = None) -> None:
        if state not in STATES:
            msg = f"trading state must be one of {', '.join(STATES)}, got {state!r}"
            raise ConfigError(msg, option="state")
        if self.killed and state != HALTED:
            msg = "the kill switch is set; reset it before changing the trading state"
            raise ConfigError(msg, option="state")
        self.state = state
        self.halt_reason = reason if state != ACTIVE else None

    def kill(self, reason: str = "kill switch") -> None:
        self.killed = True
        self.state = HALTED
        self.halt_reason = reason

    def reset_kill(self) -> None:
        self.killed = False
        self.state = ACTIVE
        self.halt_reason = None

    def check(
        self,
        symbol: str,
        qty: float,
        *,
        price: float | None,
        reference: float | None,
        position: float,
        gross: float,
        daily_pnl: float,
        now: float,
    ) -> Denial | None:
        """None when the order may go, else the first :class:`Denial` (checks in a fixed order).

        Parameters
        ----------
        qty : float
            Signed order quantity (shares).
        price : float or None
            The limit price, or None for a market order (then ``reference`` is its price).
        reference : float or None
            Last trade or mid of ``symbol``; None when there is none yet.
        position, gross, daily_pnl : float
            The symbol's position (shares), gross exposure (currency) and the day's P&L now.
        now : float
            Seconds, for the rate limit (monotonic clock or replay time).
        """
        lim = self.limits
        if self.killed:
            return Denial("kill_switch", f"{REASONS['kill_switch']} ({self.halt_reason})")
        if self.state == HALTED:
            return Denial("halted", f"{REASONS['halted']} ({self.halt_reason})")
        reduces = position != 0.0 and (qty > 0) != (position > 0) and abs(qty) <= abs(position)
        if self.state == REDUCING and not reduces:
            return Denial("reducing", f"{REASONS['reducing']} (position {position}, order {qty})")
        if -daily_pnl >= lim.max_daily_loss and not reduces:
            return Denial("max_daily_loss", f"daily P&L {daily_pnl:.2f} at or below -{lim.max_daily_loss}")
        if abs(qty) > lim.max_order_qty:
            return Denial("max_order_qty", f"order qty {abs(qty)} > max_order_qty {lim.max_order_qty}")
        if reference is None or not math.isfinite(reference) or reference <= 0:
            return Denial("no_reference_price", f"{REASONS['no_reference_price']} for {symbol}")
        px = reference if price is None else price
        dist_bps = abs(px - reference) / reference * 1e4
        if dist_bps > lim.price_band_bps * (1.0 + 1e-12):  # at the band passes (rounding of the bps aside)
            return Denial(
                "price_band",
                f"price {px} is {dist_bps:.1f} bps from {reference} (price_band_bps {lim.price_band_bps})",
            )
        notional = abs(qty) * px
        if notional > lim.max_order_notional:
            return Denial("max_order_notional", f"order notional {notional:.2f} > {lim.max_order_notional}")
        after = position + qty
        if abs(after) > lim.max_position and abs(after) > abs(position):
            return Denial("max_position", f"position after order {after} > max_position {lim.max_position}")
        gross_after = gross + (abs(after) - abs(position)) * px
        if gross_after > lim.max_gross and gross_after > gross:
            return Denial("max_gross", f"gross after order {gross_after:.2f} > max_gross {lim.max_gross}")
        if not self.bucket.take(now):
            return Denial("rate_limit", f"{REASONS['rate_limit']}: {lim.rate_per_s}/s, burst {lim.burst}")
        return None
