"""Lambda function behind `GET /history`: the most recent calculations, newest first."""

from typing import Annotated, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from calculator.shared.api import Api, Request, Response, logger, ok
from calculator.shared.history import HistoryStore
from calculator.shared.models import DIGITS_ONLY, HistoryPage
from calculator.shared.service import list_history

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class HistoryQuery(BaseModel):
    """The query string: `limit` (page size) and `cursor` (a previous page's `next`)."""

    model_config = ConfigDict(frozen=True)

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Page size."), DIGITS_ONLY] = (
        DEFAULT_LIMIT
    )
    cursor: Annotated[
        str | None, Field(min_length=1, description="Opaque: a previous page's `next`.")
    ] = None


app = Api()
store = HistoryStore.from_environment()


@app.get("/history", query=HistoryQuery, response=HistoryPage)
def history(request: Request) -> Response:
    query = request.query(HistoryQuery)
    return ok(list_history(store, request.caller, query.limit, query.cursor, request.deadline()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
