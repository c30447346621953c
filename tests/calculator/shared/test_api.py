"""Parsing API Gateway events and shaping responses, through `calculate`."""

from __future__ import annotations

import json

import pytest

from calculator.shared.api import calculate, dumps
from calculator.shared.arithmetic import Operation
from lambda_events import EventFactory


def body_of(response: dict[str, object]) -> object:
    assert response["headers"] == {"content-type": "application/json"}
    return json.loads(str(response["body"]))


def test_decimal_result_is_exact_in_the_json_text(api_event: EventFactory) -> None:
    response = calculate(Operation.ADD, api_event("add"))
    assert response["statusCode"] == 200
    assert response["body"] == '{"operation":"add","a":0.1,"b":0.2,"result":0.3}'


def test_big_integers_survive_the_round_trip(api_event: EventFactory) -> None:
    response = calculate(Operation.MULTIPLY, api_event("multiply"))
    assert body_of(response) == {
        "operation": "multiply",
        "a": 123456789012345678901234567890,
        "b": 3,
        "result": 370370367037037036703703703670,
    }


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ("not json", "body", "is not valid JSON (Expecting value)"),
        ("[1, 2]", "body", "must be a JSON object"),
        ('{"a": 1}', "b", "is required"),
        ('{"a": true, "b": 1}', "a", "must be a number"),
        ('{"a": "1", "b": 1}', "a", "must be a number"),
        ('{"a": 1, "b": NaN}', "b", "must be a finite number"),
        ('{"a": 1, "b": null}', "b", "must be a number"),
    ],
)
def test_bad_input_is_a_400_naming_field_and_problem(
    api_event: EventFactory, body: str, field: str, problem: str
) -> None:
    response = calculate(Operation.ADD, api_event("add", body=body))
    assert response["statusCode"] == 400
    assert body_of(response) == {"error": {"field": field, "problem": problem}}


def test_missing_body_is_a_400(api_event: EventFactory) -> None:
    event = api_event("add")
    del event["body"]
    assert calculate(Operation.ADD, event)["statusCode"] == 400


def test_dumps_keeps_every_digit() -> None:
    from decimal import Decimal

    assert dumps({"x": [Decimal("1.10"), 10**40, "s"]}) == '{"x":[1.10,' + str(10**40) + ',"s"]}'
