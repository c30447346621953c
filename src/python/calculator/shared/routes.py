"""Route registrations that more than one function uses."""

from collections.abc import Callable
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from calculator.shared.api import caller, invocation_deadline, ok, request_epoch_ms, request_id
from calculator.shared.arithmetic import Operation
from calculator.shared.history import HistoryStore
from calculator.shared.models import Operands
from calculator.shared.service import calculate_and_record


def add_calculation_route(
    app: APIGatewayHttpResolver, operation: Operation, store: Callable[[], HistoryStore]
) -> None:
    """`POST /<operation>`: validates `{"a", "b"}`, calculates, records, answers."""

    # No `from __future__ import annotations` here: Powertools reads these annotations at
    # registration time to validate the body against Operands.
    @app.post(f"/{operation.value}")
    def calculation(operands: Annotated[Operands, Body()]) -> Response[str]:
        return ok(
            calculate_and_record(
                store(),
                caller(app),
                operation,
                operands,
                request_id(app),
                request_epoch_ms(app),
                invocation_deadline(app),
            )
        )
