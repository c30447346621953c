"""`POST /multiply` through `handler(event, context)`: big integers, exactly, recorded."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.multiply import handler as multiply
from calculator.shared.history import HistoryStore
from lambda_devkit.testing.events import CALLER, EventFactory


@pytest.fixture(autouse=True)
def injected_store(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    monkeypatch.setattr(multiply, "store", store)
    return store


def test_multiplies_big_integers_exactly_and_records_them(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    response = multiply.handler(api_event("multiply"), lambda_context)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "operation": "multiply",
        "a": 123456789012345678901234567890,
        "b": 3,
        "result": 370370367037037036703703703670,
        "id": "cZ3Wwj5eIAMEbXQ=",
    }
    (recorded,) = injected_store.recent(CALLER, 10).items
    assert recorded.result == 370370367037037036703703703670


def test_decimal_products_keep_every_digit(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = api_event("multiply", body='{"a": 0.1, "b": 0.2}')
    response = multiply.handler(event, lambda_context)
    assert '"result":0.02' in response["body"]


def test_wrong_typed_operand_is_a_400(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = api_event("multiply", body='{"a": [], "b": 2}')
    response = multiply.handler(event, lambda_context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"] == [{"field": "a", "problem": "must be a number"}]
