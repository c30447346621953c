"""The HTTP API's plumbing, shared by every function: routing, validation, errors, logging.

Each function builds its app with `create_app()` and registers its own route; everything a
client can get wrong is answered here, once, as a 4xx with a JSON body naming the field and
the problem. Anything else is a 500 with a generic body and the request id in the log.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from calculator.shared import numbers
from calculator.shared.budget import Deadline
from calculator.shared.history import HistoryUnavailable, InvalidCursor
from calculator.shared.identity import Caller, Unauthenticated, caller_of

logger = Logger(service="calculator")

# Every route of the service (infra/template.yaml routes the same): which requests carry a
# body to negotiate, and 404 vs 405 for an event API Gateway itself would never route here.
ROUTES: Mapping[str, frozenset[str]] = {
    "/add": frozenset({"POST"}),
    "/multiply": frozenset({"POST"}),
    "/history": frozenset({"GET"}),
}
MAX_BODY_BYTES = 16 * 1024
# Routes with these methods read a JSON body.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON_MEDIA_TYPE = content_types.APPLICATION_JSON
# JSON is UTF-8 (RFC 8259); ASCII is a subset of it.
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
_SEND_JSON = "must be application/json: send the body as JSON with Content-Type: application/json"
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


def _header(event: Mapping[str, Any], name: str) -> str | None:
    # Payload 2.0 lowercases header names; a hand-made event need not.
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _media_type(content_type: str) -> tuple[str, str | None]:
    """`Application/JSON; Charset="UTF-8"` -> ("application/json", "utf-8")."""
    media_type, *parameters = content_type.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.strip().lower(), charset


def _is_json(media_type: str) -> bool:
    # application/json, and any JSON-based type with the structured syntax suffix (RFC 6839).
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _json_text(event: Mapping[str, Any]) -> str | None:
    """The request body as JSON text, however API Gateway encoded it; ClientError if it cannot
    be JSON. No content type at all counts as JSON: the parser then says whether it is."""
    coding = (_header(event, "content-encoding") or "identity").strip().lower()
    if coding != "identity":
        raise ClientError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            [("Content-Encoding", f"{coding} is not supported; send the body uncompressed")],
        )
    media_type, charset = _media_type(_header(event, "content-type") or "")
    if media_type and not _is_json(media_type):
        raise ClientError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, [("Content-Type", _SEND_JSON)])
    if charset is not None and charset not in UTF8_CHARSETS:
        raise ClientError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            [("Content-Type", f"charset {charset} is not supported; JSON is UTF-8")],
        )
    body = event.get("body")
    if not body:
        return None
    text = str(body)
    # The size check comes before decoding, so an oversized body costs nothing to refuse.
    encoded_limit = 4 * (MAX_BODY_BYTES // 3 + 1) if event.get("isBase64Encoded") else None
    if len(text) > (encoded_limit or MAX_BODY_BYTES):
        raise _too_large()
    if event.get("isBase64Encoded"):
        # An HTTP API base64-encodes whatever it does not take for text; the client cannot
        # choose, so the encoding is undone here rather than refused.
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ClientError(
                HTTPStatus.BAD_REQUEST, [("body", "is marked base64-encoded but is not base64")]
            ) from None
    else:
        data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ClientError(
            HTTPStatus.BAD_REQUEST, [("body", f"is not UTF-8 text (byte {error.start})")]
        ) from None


def _too_large() -> ClientError:
    return ClientError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, [("body", f"must be at most {MAX_BODY_BYTES} bytes")]
    )


def _as_json_request(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with its body negotiated to plain JSON text, for the routes that read one."""
    context = event.get("requestContext") or {}
    method = str((context.get("http") or {}).get("method", "")).upper()
    # The path Powertools routes on: the raw path without a named stage's prefix.
    path, stage = str(event.get("rawPath", "")), context.get("stage", "$default")
    path = path.removeprefix(f"/{stage}") if stage != "$default" else path
    if method not in BODY_METHODS or method not in ROUTES.get(path, ()):
        return event  # no body to read: a route without one, or a 404/405 to come
    text = _json_text(event)
    headers = {
        str(k): v
        for k, v in (event.get("headers") or {}).items()
        if str(k).lower() != "content-type"
    }
    normalised = {**event, "headers": {**headers, "content-type": JSON_MEDIA_TYPE}}
    normalised["isBase64Encoded"] = False
    if text is None:
        normalised.pop("body", None)
    else:
        normalised["body"] = text
    return normalised


def ok(body: Mapping[str, Any]) -> Response[str]:
    """A 200 whose JSON keeps every digit (Powertools' own encoder would stringify Decimals)."""
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type=content_types.APPLICATION_JSON,
        body=numbers.dumps(body),
    )


def unauthorized() -> dict[str, Any]:
    """What API Gateway's JWT authorizer itself answers a request without a valid token."""
    return {
        "statusCode": HTTPStatus.UNAUTHORIZED.value,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": numbers.dumps({"message": HTTPStatus.UNAUTHORIZED.phrase}),
        "isBase64Encoded": False,
    }


class CalculatorResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, with each body negotiated to JSON text before it is read."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        # Powertools reads the body in its validation step, which runs before any middleware,
        # and answers an unexpected media type with an exception only a catch-all sees: so
        # the body is negotiated here, first, into the JSON text that step expects.
        try:
            # Fail closed before anything else: no verified caller, no route, no 404/405.
            caller_of(event)
        except Unauthenticated as error:
            logger.warning("refused: no verified caller", extra={"reason": str(error)})
            return unauthorized()
        try:
            negotiated = _as_json_request(event)
        except ClientError as error:
            return self._client_error(error)
        return dict(super().resolve(negotiated, context))

    @staticmethod
    def _client_error(error: ClientError) -> dict[str, Any]:
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


def caller(app: APIGatewayHttpResolver) -> Caller:
    """The verified caller of the current request (CalculatorResolver refused any other)."""
    return caller_of(app.current_event.raw_event)


def request_id(app: APIGatewayHttpResolver) -> str:
    return str(app.current_event.request_context.request_id)


def request_epoch_ms(app: APIGatewayHttpResolver) -> int:
    return int(app.current_event.request_context.time_epoch)


def invocation_deadline(app: APIGatewayHttpResolver) -> Deadline:
    """When this invocation's work on the store must end (see calculator.shared.budget)."""
    return Deadline.within(app.lambda_context.get_remaining_time_in_millis())
