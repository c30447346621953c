"""API Gateway HTTP API (payload 2.0) plumbing shared by the calculator's functions."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from calculator.shared.arithmetic import Number, Operation, apply

Event = dict[str, Any]
Response = dict[str, Any]
OPERANDS = ("a", "b")


class BadRequest(Exception):
    """A client mistake, answered with a 400 that says what was wrong and where."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def json_response(status: int, body: dict[str, Any]) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": dumps(body),
    }


def parse_operand(name: str, value: object) -> Number:
    # bool is an int subclass and float loses digits: neither is an operand.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadRequest(name, "must be a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise BadRequest(name, "must be a finite number")
    return value


def parse_operands(event: Event) -> tuple[Number, Number]:
    raw = event.get("body")
    if not isinstance(raw, str):
        raise BadRequest("body", "must be a JSON object")
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=lambda c: Decimal(c))
    except json.JSONDecodeError as error:
        raise BadRequest("body", f"is not valid JSON ({error.msg})") from None
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    for name in OPERANDS:
        if name not in body:
            raise BadRequest(name, "is required")
    a, b = (parse_operand(name, body[name]) for name in OPERANDS)
    return a, b


def dumps(value: object) -> str:
    """JSON text in which every number, Decimal included, keeps all of its digits."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{dumps(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)  # finite by construction; str() is a valid JSON number
    return json.dumps(value)


def calculate(operation: Operation, event: Event) -> Response:
    try:
        a, b = parse_operands(event)
    except BadRequest as error:
        return json_response(400, {"error": {"field": error.field, "problem": error.problem}})
    result = apply(operation, a, b)
    body = {"operation": operation.value, "a": a, "b": b, "result": result}
    return json_response(200, body)
