"""Lambda function behind `GET /history`: the most recent calculations, newest first."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared import api
from calculator.shared.history import HistoryStore
from calculator.shared.models import HistoryQuery
from calculator.shared.service import list_history
from lambda_http.router import Request, Response, Router, logger, ok

app = Router(api.API)
store = HistoryStore.from_environment()


@app.serves(api.HISTORY)
def history(request: Request) -> Response:
    query = request.query(HistoryQuery)
    return ok(list_history(store, request.caller, query.limit, query.cursor, request.deadline()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
