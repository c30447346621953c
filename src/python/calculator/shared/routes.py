"""The calculation route, which more than one function serves."""

from __future__ import annotations

from collections.abc import Callable

from calculator.shared.arithmetic import Operation
from calculator.shared.history import HistoryStore
from calculator.shared.models import Operands
from calculator.shared.service import calculate_and_record
from lambda_http.declaration import Route
from lambda_http.router import Request, Response, Router, ok


def serve_calculation(
    app: Router, route: Route, operation: Operation, store: Callable[[], HistoryStore]
) -> None:
    """Serves `route` (a `POST` declared with an `Operands` body, and as writing): validates
    `{"a", "b"}`, calculates, records, answers. The store keeps its idempotency keys."""

    @app.serves(route, idempotency=store)
    def calculation(request: Request) -> Response:
        operands = request.body(Operands)
        return ok(calculate_and_record(store(), request, operation, operands))
