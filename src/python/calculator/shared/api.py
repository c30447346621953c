"""The HTTP API's plumbing, shared by every function: routing, validation, errors, logging.

Each function builds its app with `create_app()` and registers its own route; everything a
client can get wrong is answered here, once, as a 4xx with a JSON body naming the field and
the problem. Anything else is a 500 with a generic body and the request id in the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from calculator.shared import numbers
from calculator.shared.history import HistoryUnavailable, InvalidCursor

logger = Logger(service="calculator")

# Every route of the service, so any function can tell 404 (no such path) from 405.
ROUTES: Mapping[str, frozenset[str]] = {
    "/add": frozenset({"POST"}),
    "/multiply": frozenset({"POST"}),
    "/history": frozenset({"GET"}),
}
MAX_BODY_BYTES = 16 * 1024
RETRY_AFTER_SECONDS = 1


class ClientError(Exception):
    """A request the client must change; answered with `status` and the problems found."""

    def __init__(self, status: HTTPStatus, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems))
        self.status = status
        self.problems = problems


def error_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )


def _client_error_response(error: ClientError) -> Response[dict[str, Any]]:
    errors = [{"field": field, "problem": problem} for field, problem in error.problems]
    return error_response(error.status, {"message": error.status.phrase, "errors": errors})


def _field_name(location: Sequence[str | int]) -> str:
    # Powertools locates body fields as ("body", "a"), query strings as ("query", "limit").
    if len(location) == 1:
        return str(location[0])
    return ".".join(str(part) for part in location[1:])


def _problem(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not allowed"
    if kind == "json_invalid":
        return "is not valid JSON"
    if kind in {"model_attributes_type", "dict_type"}:
        return "must be a JSON object"
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def _unreadable_body(event: Mapping[str, Any]) -> ClientError | None:
    if event.get("isBase64Encoded"):
        return ClientError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            [("body", "must be JSON text (Content-Type: application/json), not binary")],
        )
    body = event.get("body")
    if isinstance(body, str) and len(body.encode()) > MAX_BODY_BYTES:
        return ClientError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            [("body", f"must be at most {MAX_BODY_BYTES} bytes")],
        )
    return None


def ok(body: Mapping[str, Any]) -> Response[str]:
    """A 200 whose JSON keeps every digit (Powertools' own encoder would stringify Decimals)."""
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type=content_types.APPLICATION_JSON,
        body=numbers.dumps(body),
    )


class CalculatorResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, refusing bodies it must not even try to decode."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        # Powertools decodes base64 and parses JSON in its validation step, which runs before
        # any middleware; binary and oversized bodies are therefore refused here, first.
        error = _unreadable_body(event)
        if error is None:
            return dict(super().resolve(event, context))
        errors = [{"field": field, "problem": problem} for field, problem in error.problems]
        return {
            "statusCode": error.status.value,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": numbers.dumps({"message": error.status.phrase, "errors": errors}),
            "isBase64Encoded": False,
        }


def _loads_body(text: str) -> Any:
    try:
        return numbers.loads(text)
    except numbers.OutOfBounds as error:
        raise ClientError(HTTPStatus.BAD_REQUEST, [("body", str(error))]) from None


def create_app() -> CalculatorResolver:
    """A resolver with the service's validation, serialisation and error mapping."""
    app = CalculatorResolver(
        enable_validation=True,
        serializer=numbers.dumps,
        json_body_deserializer=_loads_body,
    )

    @app.exception_handler(ClientError)  # type: ignore[untyped-decorator]
    def client_error(error: ClientError) -> Response[dict[str, Any]]:
        return _client_error_response(error)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
        problems = [
            (
                "body" if e.get("type") == "json_invalid" else _field_name(e.get("loc", ())),
                _problem(e),
            )
            for e in error.errors()
        ]
        return _client_error_response(ClientError(HTTPStatus.BAD_REQUEST, problems))

    @app.exception_handler(InvalidCursor)  # type: ignore[untyped-decorator]
    def invalid_cursor(error: InvalidCursor) -> Response[dict[str, Any]]:
        return _client_error_response(ClientError(HTTPStatus.BAD_REQUEST, [("cursor", str(error))]))

    @app.exception_handler(HistoryUnavailable)  # type: ignore[untyped-decorator]
    def history_unavailable(error: HistoryUnavailable) -> Response[dict[str, Any]]:
        logger.error("history store unavailable", extra={"reason": str(error)})
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            {"message": "History is unavailable; nothing was recorded. Try again shortly."},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(error: Exception) -> Response[dict[str, Any]]:
        request_id = app.current_event.request_context.request_id
        logger.exception("unhandled error", extra={"api_request_id": request_id})
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            {"message": "Internal error", "requestId": request_id},
        )

    @app.not_found
    def not_found(_: Exception) -> Response[dict[str, Any]]:
        method = app.current_event.http_method.upper()
        allowed = ROUTES.get(app.current_event.path)
        if allowed is None:
            return _client_error_response(
                ClientError(HTTPStatus.NOT_FOUND, [("path", f"no route {app.current_event.path}")])
            )
        response = _client_error_response(
            ClientError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                [("method", f"{method} is not allowed here; use {', '.join(sorted(allowed))}")],
            )
        )
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response

    return app


def request_id(app: APIGatewayHttpResolver) -> str:
    return str(app.current_event.request_context.request_id)


def request_epoch_ms(app: APIGatewayHttpResolver) -> int:
    return int(app.current_event.request_context.time_epoch)
