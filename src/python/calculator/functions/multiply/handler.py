"""Lambda function behind `POST /multiply`: multiplies the body's operands `a` and `b`."""

from __future__ import annotations

from calculator.shared.api import Event, Response, calculate
from calculator.shared.arithmetic import Operation


def handler(event: Event, context: object) -> Response:
    return calculate(Operation.MULTIPLY, event)
