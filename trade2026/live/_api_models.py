"""The control API's request and response bodies (pydantic): its OpenAPI schema is made from them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_STRICT = ConfigDict(extra="forbid")
ReasonText = Field(min_length=1, max_length=500, description="Why (journaled with who asked).")


class Reason(BaseModel):
    model_config = _STRICT
    reason: str = ReasonText


class OrderIn(BaseModel):
    """A manual order: signed ``qty`` (positive buys), market when ``limit`` is absent."""

    model_config = _STRICT
    symbol: str = Field(min_length=1, max_length=64)
    qty: float = Field(allow_inf_nan=False, description="Signed quantity (shares); not 0.")
    limit: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="Limit price; none = market.")
    reason: str = ReasonText

    @field_validator("qty")
    @classmethod
    def _nonzero(cls, v: float) -> float:
        if v == 0:
            msg = "qty must be a nonzero signed quantity (positive buys, negative sells)"
            raise ValueError(msg)
        return v


class KillIn(BaseModel):
    model_config = _STRICT
    confirm: str | None = Field(default=None, description='Must be exactly "KILL".')
    reason: str = ReasonText


class Problem(BaseModel):
    """An error answer: what went wrong and how to fix it."""

    detail: str
    reason: str | None = Field(default=None, description="The risk denial's reason code, when risk refused.")
    order: dict[str, Any] | None = None


class Ping(BaseModel):
    ok: bool


class Link(BaseModel):
    connected: bool
    last_event_age_s: float | None = Field(description="Seconds since the last event; none before the first.")


class Health(BaseModel):
    state: str
    killed: bool
    loop_age_s: float | None = Field(description="Seconds since the trading loop last ran its step.")
    feed: Link
    venue: Link
    journal_lag: int = Field(description="Journal records appended and not yet fsync'd.")
    reconciled: bool


class Ready(BaseModel):
    ready: bool
    reconciliation: dict[str, Any] | None = None


class State(BaseModel):
    run_id: str
    venue: str
    state: str = Field(description="ACTIVE, REDUCING or HALTED.")
    killed: bool
    halt_reason: str | None
    reconciled: bool
    started: str | None = Field(description="When this process started serving (ISO 8601, UTC).")
    bars: int
    orders: int
    fills: int
    denied: int


class Position(BaseModel):
    symbol: str
    qty: float
    avg_price: float
    mark: float | None
    unrealised: float
    realised: float
    fees: float


class Order(BaseModel):
    client_id: str
    symbol: str
    qty: float
    filled: float
    limit: float | None
    status: str
    reason: str | None
    history: list[str]
    created: str | None = Field(description="When the order was made (ISO 8601, UTC); none for replayed ones.")


class Fill(BaseModel):
    seq: int
    trade_id: str
    client_id: str
    symbol: str
    qty: float
    price: float
    fee: float
    ts: int = Field(description="Venue time, ns.")


class CurvePoint(BaseModel):
    ts: str
    equity: float
    drawdown: float = Field(description="Equity over the run's peak equity, minus 1 (<= 0).")


class Pnl(BaseModel):
    cash: float
    equity: float
    realised: float
    unrealised: float
    fees: float
    curve: list[CurvePoint]


class Limit(BaseModel):
    name: str
    limit: float | None = Field(description="None: the limit is off.")
    used: float | None
    share: float | None


class Bucket(BaseModel):
    tokens: float | None
    capacity: float | None
    rate_per_s: float | None


class Risk(BaseModel):
    limits: list[Limit]
    bucket: Bucket
    rejects: dict[str, int]


class StateOut(BaseModel):
    state: str
    killed: bool


class Canceled(BaseModel):
    canceled: list[str]


class Killed(BaseModel):
    killed: bool
    state: str
    canceled: list[str]
    flatten: list[str] = Field(description="The client ids of the orders that flatten the positions.")
