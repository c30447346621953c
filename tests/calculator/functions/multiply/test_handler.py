"""The multiply function's handler, called as Lambda calls it."""

from __future__ import annotations

import json

from calculator.functions.multiply.handler import handler
from lambda_events import EventFactory


def test_answers_the_fixture_event(api_event: EventFactory) -> None:
    response = handler(api_event("multiply"), object())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["operation"] == "multiply"


def test_rejects_a_non_numeric_operand(api_event: EventFactory) -> None:
    response = handler(api_event("multiply", body='{"a": "x", "b": 1}'), object())
    assert response["statusCode"] == 400
