"""Route declarations that more than one function uses."""

from __future__ import annotations

from collections.abc import Callable

from calculator.shared.api import Api, Request, Response, ok
from calculator.shared.arithmetic import Operation
from calculator.shared.history import HistoryStore
from calculator.shared.models import CalculationResult, Operands
from calculator.shared.service import calculate_and_record


def add_calculation_route(
    app: Api, operation: Operation, store: Callable[[], HistoryStore]
) -> None:
    """`POST /<operation>`: validates `{"a", "b"}`, calculates, records, answers."""

    @app.post(f"/{operation.value}", body=Operands, response=CalculationResult)
    def calculation(request: Request) -> Response:
        operands = request.body(Operands)
        return ok(
            calculate_and_record(
                store(),
                request.caller,
                operation,
                operands,
                request.id,
                request.epoch_ms,
                request.deadline(),
            )
        )
