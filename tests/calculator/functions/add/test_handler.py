"""The add function's handler, called as Lambda calls it."""

from __future__ import annotations

import json

from calculator.functions.add.handler import handler
from lambda_events import EventFactory


def test_answers_the_fixture_event(api_event: EventFactory) -> None:
    response = handler(api_event("add"), object())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["operation"] == "add"


def test_rejects_a_non_numeric_operand(api_event: EventFactory) -> None:
    response = handler(api_event("add", body='{"a": "x", "b": 1}'), object())
    assert response["statusCode"] == 400
