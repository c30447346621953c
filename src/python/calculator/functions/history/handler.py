"""Lambda function behind `GET /history`: the most recent calculations, newest first."""

from dataclasses import dataclass
from typing import Any, ClassVar

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared.api import Api, Request, Response, logger, ok
from calculator.shared.history import HistoryStore
from calculator.shared.models import HistoryPage
from calculator.shared.service import list_history
from calculator.shared.validation import field, optional_text, query_integer

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class HistoryQuery:
    """The query string: `limit` (page size) and `cursor` (a previous page's `next`)."""

    ignore_other_fields: ClassVar[bool] = True

    limit: int = field(
        query_integer(1, MAX_LIMIT),
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "Page size."},
        default=DEFAULT_LIMIT,
    )
    cursor: str | None = field(
        optional_text(1),
        {"type": "string", "minLength": 1, "description": "Opaque: a previous page's `next`."},
        default=None,
    )


app = Api()
store = HistoryStore.from_environment()


@app.get("/history", query=HistoryQuery, response=HistoryPage)
def history(request: Request) -> Response:
    query = request.query(HistoryQuery)
    return ok(list_history(store, request.caller, query.limit, query.cursor, request.deadline()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
