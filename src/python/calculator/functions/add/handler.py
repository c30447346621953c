"""Lambda function behind `POST /add`: adds `a` and `b` exactly and records it in history."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared import api
from calculator.shared.arithmetic import Operation
from calculator.shared.history import HistoryStore
from calculator.shared.routes import serve_calculation
from lambda_http.router import Router, logger

app = Router(api.API)
store = HistoryStore.from_environment()
serve_calculation(app, api.ADD, Operation.ADD, lambda: store)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
