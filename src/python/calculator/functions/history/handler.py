"""Lambda function behind `GET /history`: the most recent calculations, newest first."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared.api import caller, create_app, invocation_deadline, logger, ok
from calculator.shared.history import HistoryStore
from calculator.shared.models import Limit
from calculator.shared.service import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, list_history

app = create_app()
store = HistoryStore.from_environment()


@app.get("/history")
def history(
    limit: Annotated[Limit, Query(ge=1, le=MAX_HISTORY_LIMIT)] = DEFAULT_HISTORY_LIMIT,
    cursor: Annotated[str | None, Query(min_length=1)] = None,
) -> Response[str]:
    return ok(list_history(store, caller(app), limit, cursor, invocation_deadline(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
