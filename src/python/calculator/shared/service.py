"""What the routes do: calculate and record, or list history. Thin handlers call these."""

from __future__ import annotations

from datetime import UTC, datetime

from calculator.shared.arithmetic import Operation, apply
from calculator.shared.history import HistoryStore
from calculator.shared.models import Calculation, CalculationResult, HistoryPage, Operands
from lambda_http.budget import Deadline
from lambda_http.identity import Caller
from lambda_http.router import Request


def calculate_and_record(
    store: HistoryStore, request: Request, operation: Operation, operands: Operands
) -> CalculationResult:
    """The result is returned only once it is in history (HistoryUnavailable otherwise); with
    an Idempotency-Key, the answer is written with it, for a repeat of the request."""
    epoch_ms = request.epoch_ms
    calculation = Calculation(
        id=request.id,
        operation=operation,
        a=operands.a,
        b=operands.b,
        result=apply(operation, operands.a, operands.b),
        timestamp=datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat(
            timespec="milliseconds"
        ),
    )
    result: CalculationResult = {
        "operation": operation,
        "a": calculation.a,
        "b": calculation.b,
        "result": calculation.result,
        "id": calculation.id,
    }
    store.record(
        request.caller, calculation, epoch_ms, request.deadline(), request.completion(result)
    )
    return result


def list_history(
    store: HistoryStore, caller: Caller, limit: int, cursor: str | None, deadline: Deadline
) -> HistoryPage:
    page = store.recent(caller, limit, cursor, deadline)
    body: HistoryPage = {"items": [item.to_body() for item in page.items]}
    if page.next_cursor is not None:
        body["next"] = page.next_cursor
    return body
