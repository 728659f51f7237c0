"""Property-based tests from the control API's OpenAPI schema (schemathesis): no 500s, bodies that do
not fit the schema get 4xx with a message, responses fit the schema, and whatever the calls do, every
order went through risk and the journal."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.live.api.conftest import AUTH, TOKEN, Running
from trade2026.live import Control, create_app

# The schema is the app's (made without a server); the calls go to a live server per test.
schema = schemathesis.openapi.from_dict(create_app(Control(), token=TOKEN).fastapi.openapi())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=40)
schema = schema.exclude(path="/api/v1/events")  # an endless stream; tested in test_api_actions


@pytest.fixture
def base_url(client: Any) -> str:
    return str(client(auth_failures=10**6, action_timeout_s=30.0).base_url)


def _assert_risk_and_journal_held(r: Running) -> None:
    records = r.records()
    intents = {x["client_id"]: x for x in records if x["kind"] == "intent"}
    assert set(r.engine.orders) <= set(intents)  # no order without its journaled intent
    sent = [cid for cid, o in r.engine.orders.items() if o.history[:2] != ["initialized", "rejected"]]
    assert r.venue.submits == len(sent)  # the venue saw exactly the orders risk passed
    limit = r.engine.risk.limits.max_order_qty
    assert all(abs(r.engine.orders[c].qty) <= limit for c in sent)
    for k, x in enumerate(records):  # every API order: its action record, then its intent
        if x["kind"] == "action" and x["action"] == "order":
            assert x["actor"].startswith("api:") and x["reason"]
            assert records[k + 1]["kind"] == "intent" and records[k + 1]["symbol"] == x["symbol"]
    killed = [x for x in records if x["kind"] == "state" and x["killed"]]
    if r.engine.risk.killed:
        assert killed and records[records.index(killed[0]) - 1]["action"] == "kill"


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one running engine per operation, on purpose
def test_the_schema_holds(case: Any, running: Running, base_url: str) -> None:
    # a valid order can still be refused by risk (409/422) or the state: that is the point
    response = case.call_and_validate(base_url=base_url, headers=AUTH, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
    if response.status_code >= 400:
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    _assert_risk_and_journal_held(running)
