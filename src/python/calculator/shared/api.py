"""The HTTP API's plumbing, shared by every function: routing, validation, errors, logging.

Each function builds an `Api`, declares its routes on it (`@app.post("/path", body=Model,
response=Body)` over the route's function) and hands every event to `app.resolve`. The
declarations are what the OpenAPI document is built from (lambda_devkit.openapi, at build time:
nothing here builds a schema), with the statuses in `ANSWERS`. Everything a client can get
wrong is answered here, once, as a 4xx with a JSON body naming the field and the problem. Anything
else is a 500 with a generic body and the request id in the log.

This is a router of our own rather than Powertools' event handler: that package imports every
resolver it has (AppSync and asyncio, Bedrock, VPC Lattice...) and its OpenAPI validation
machinery, about 50 ms of every cold start for routing three fixed paths (docs/cold-start.md).
Request models are calculator.shared.validation's.

`resolve` also counts every request in CloudWatch metrics (calculator.shared.metrics), so a
function declared on an `Api` is measured without code of its own.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any, ClassVar, NotRequired, TypedDict
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared import metrics, numbers
from calculator.shared.budget import Deadline
from calculator.shared.history import HistoryUnavailable, InvalidCursor
from calculator.shared.identity import Caller, Unauthenticated, caller_of
from calculator.shared.validation import Model, Rejected, validate

logger = Logger(service="calculator")

MAX_BODY_BYTES = 16 * 1024
JSON_MEDIA_TYPE = "application/json"
# JSON is UTF-8 (RFC 8259); ASCII is a subset of it.
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
_SEND_JSON = "must be application/json: send the body as JSON with Content-Type: application/json"
RETRY_AFTER_SECONDS = 1

# Every status `resolve` can answer a declared route with, and for which routes: those that
# declare one of the inputs named ("body", "query"), or "always". The OpenAPI document lists
# them per route, with the error body `_client_error_response` writes; the fuzzer in CI fails
# on a status the document does not list.
ANSWERS: Mapping[HTTPStatus, frozenset[str]] = {
    HTTPStatus.BAD_REQUEST: frozenset({"body", "query"}),
    HTTPStatus.UNAUTHORIZED: frozenset({"always"}),
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: frozenset({"body"}),
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: frozenset({"body"}),
    HTTPStatus.INTERNAL_SERVER_ERROR: frozenset({"always"}),
    HTTPStatus.SERVICE_UNAVAILABLE: frozenset({"always"}),
}
# The headers `resolve` always sends with a status, beyond Content-Type.
ANSWER_HEADERS: Mapping[HTTPStatus, tuple[str, ...]] = {
    HTTPStatus.SERVICE_UNAVAILABLE: ("Retry-After",),
}


class Problem(TypedDict):
    field: str
    problem: str


class ErrorBody(TypedDict):
    """Every answer but a 200: API Gateway's own are `{"message": ...}` alone."""

    message: str
    errors: NotRequired[list[Problem]]  # a 4xx: each field the client must change, and why
    requestId: NotRequired[str]  # a 500: what to quote when reporting it


class ClientError(Exception):
    """A request the client must change; answered with `status` and the problems found."""

    def __init__(self, status: HTTPStatus, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems))
        self.status = status
        self.problems = problems


@dataclass(frozen=True)
class Response:
    """What a route answers: a status, a JSON body (text) and any headers beyond Content-Type."""

    status: HTTPStatus
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The payload format 2.0 response API Gateway expects from the function."""
        return {
            "statusCode": self.status.value,
            "body": self.body,
            "isBase64Encoded": False,
            "headers": {"Content-Type": JSON_MEDIA_TYPE, **self.headers},
            "cookies": [],
        }


def ok(body: Mapping[str, Any]) -> Response:
    """A 200 whose JSON keeps every digit (numbers.dumps writes Decimals as numbers)."""
    return Response(HTTPStatus.OK, numbers.dumps(body))


# What API Gateway's JWT authorizer itself answers a request without a valid token.
UNAUTHORIZED = Response(HTTPStatus.UNAUTHORIZED, numbers.dumps({"message": "Unauthorized"}))


def error_response(
    status: HTTPStatus, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    return Response(status, numbers.dumps(body), headers or {})


def _client_error_response(error: ClientError) -> Response:
    errors: list[Problem] = [{"field": f, "problem": problem} for f, problem in error.problems]
    body: ErrorBody = {"message": error.status.phrase, "errors": errors}
    return error_response(error.status, body)


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


def _json_value(text: str) -> Any:
    try:
        return numbers.loads(text)
    except numbers.OutOfBounds as error:
        raise ClientError(HTTPStatus.BAD_REQUEST, [("body", str(error))]) from None
    except ValueError:  # json.JSONDecodeError
        raise ClientError(HTTPStatus.BAD_REQUEST, [("body", "is not valid JSON")]) from None


def _method_and_path(event: Mapping[str, Any]) -> tuple[str, str]:
    """The method, and the path the route was declared with: the raw path without a named
    stage's prefix."""
    request_context: Mapping[str, Any] = event.get("requestContext") or {}
    http = request_context.get("http") or {}
    stage = request_context.get("stage", "$default")
    path = str(event.get("rawPath", ""))
    return (
        str(http.get("method", "")).upper(),
        path.removeprefix(f"/{stage}") if stage != "$default" else path,
    )


class Request:
    """One HTTP API request (payload format 2.0) of a verified caller, as a route reads it."""

    def __init__(self, event: Mapping[str, Any], context: LambdaContext, caller: Caller) -> None:
        # Set by Api.resolve once the route is known: what `body` and `query` may be read as.
        self.declared: Declaration | None = None
        self.event = event
        self.context = context
        self.caller = caller
        self._request_context: Mapping[str, Any] = event.get("requestContext") or {}
        self.method, self.path = _method_and_path(event)

    @property
    def id(self) -> str:
        """API Gateway's request id: unique per request, and what the client can quote."""
        return str(self._request_context.get("requestId", ""))

    @property
    def epoch_ms(self) -> int:
        """When API Gateway received the request."""
        return int(self._request_context["timeEpoch"])

    def deadline(self) -> Deadline:
        """When this invocation's work on the store must end (see calculator.shared.budget)."""
        return Deadline.within(self.context.get_remaining_time_in_millis())

    def body[M: Model](self, model: type[M]) -> M:
        """The JSON body, negotiated and parsed with exact numbers, validated as `model`."""
        self._check_declared("body", model)
        text = _json_text(self.event)
        value = None if text is None else _json_value(text)
        if value is None:
            raise ClientError(HTTPStatus.BAD_REQUEST, [("body", "is required")])
        if isinstance(value, Decimal):
            # A number with a fraction or an exponent: the service has always read it as an
            # object without any of the model's fields (pydantic's `from_attributes` did),
            # and its 400 says which fields are required. Kept: clients may match on it.
            value = {}
        if not isinstance(value, dict):
            raise ClientError(HTTPStatus.BAD_REQUEST, [("body", "must be a JSON object")])
        try:
            return validate(model, value)
        except Rejected as error:
            raise ClientError(HTTPStatus.BAD_REQUEST, error.problems) from None

    def query[M: Model](self, model: type[M]) -> M:
        """The query string validated as `model`; parameters the model does not name are ignored
        unless it forbids them."""
        self._check_declared("query", model)
        # API Gateway joins a repeated parameter's values with commas: such a parameter is
        # validated as the list of its values (which no scalar field takes), never as one value.
        raw = str(self.event.get("rawQueryString") or "")
        repeated = {k for k, v in parse_qs(raw, keep_blank_values=True).items() if len(v) > 1}
        parameters: dict[str, Any] = {
            str(name): value.split(",") if name in repeated else value
            for name, value in (self.event.get("queryStringParameters") or {}).items()
            if value is not None
        }
        try:
            return validate(model, parameters)
        except Rejected as error:
            raise ClientError(HTTPStatus.BAD_REQUEST, error.problems) from None

    def _check_declared(self, part: str, model: type[Model]) -> None:
        # The OpenAPI document describes a route by its declaration: a route that reads a
        # model it did not declare would make the document lie, so it fails (a 500) instead.
        declared = None if self.declared is None else getattr(self.declared, part)
        if self.declared is not None and declared is not model:
            raise TypeError(
                f"{self.declared} reads its {part} as {model.__name__} but declares "
                f"{part}={getattr(declared, '__name__', None)}"
            )


Route = Callable[[Request], Response]


@dataclass(frozen=True)
class Declaration:
    """One route as declared: the OpenAPI document (lambda_devkit.openapi) is built from these.

    `body` and `query` are the models the route reads (`request.body(...)`, `request.query(...)`
    refuse any other); `response` is the type of its 200 body (a model or a TypedDict).
    """

    method: str
    path: str
    function: Route
    body: type[Model] | None = None
    query: type[Model] | None = None
    response: object = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def answers(self) -> dict[HTTPStatus, tuple[str, ...]]:
        """Each status besides 200 that `Api.resolve` may answer this route with, and the
        headers that come with it (`ANSWERS`, `ANSWER_HEADERS`)."""
        inputs = {"always"} | {part for part in ("body", "query") if getattr(self, part)}
        return {
            status: ANSWER_HEADERS.get(status, ())
            for status, when in ANSWERS.items()
            if when & inputs
        }


class Api:
    """A function's routes, each declared once, by method and path, over the function serving it.

    `resolve` answers a payload 2.0 event: 401 without a verified caller (before anything
    else), the route's response, 404 for a path no route declares, 405 (with `Allow`) for a
    method the path does not take, and every error mapped to its status in one place
    (`_error_response`).
    """

    # The body of every answer but a 200.
    error_body: ClassVar[type] = ErrorBody

    def __init__(self) -> None:
        self._routes: dict[str, dict[str, Declaration]] = {}
        self._measured = metrics.measured(self._resolve_and_record)

    def route(
        self,
        method: str,
        path: str,
        *,
        body: type[Model] | None = None,
        query: type[Model] | None = None,
        response: object = None,
    ) -> Callable[[Route], Route]:
        """Declares `method path` over the decorated function, with the models it reads and
        the type of its 200 body."""
        method = method.upper()

        def register(function: Route) -> Route:
            methods = self._routes.setdefault(path, {})
            if method in methods:
                raise ValueError(f"{method} {path} is declared twice")
            methods[method] = Declaration(method, path, function, body, query, response)
            return function

        return register

    def get(
        self, path: str, *, query: type[Model] | None = None, response: object = None
    ) -> Callable[[Route], Route]:
        return self.route("GET", path, query=query, response=response)

    def post(
        self, path: str, *, body: type[Model] | None = None, response: object = None
    ) -> Callable[[Route], Route]:
        return self.route("POST", path, body=body, response=response)

    def routes(self) -> dict[str, frozenset[str]]:
        """Path -> the methods declared for it: all this function answers (infra/template.yaml
        routes the same to it, checked by tests/calculator/service/test_routes.py)."""
        return {path: frozenset(methods) for path, methods in self._routes.items()}

    def declarations(self) -> list[Declaration]:
        """Every route, in the order declared."""
        return [d for methods in self._routes.values() for d in methods.values()]

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """The response to `event`; its metrics are printed as EMF before it is returned."""
        return self._measured(event, context)

    def _resolve_and_record(
        self, event: Mapping[str, Any], context: LambdaContext
    ) -> dict[str, Any]:
        response, error = self._answer(event, context)
        metrics.record(
            self._route_name(event),
            response.status,
            store_failed=isinstance(error, HistoryUnavailable),
        )
        return response.to_payload()

    def _route_name(self, event: Mapping[str, Any]) -> str:
        """The declared route the event is for, or `unmatched`: never the raw path, which
        the client chooses and would make a metric dimension of unbounded cardinality."""
        method, path = _method_and_path(event)
        if method in self._routes.get(path, {}):
            return f"{method} {path}"
        return metrics.UNMATCHED_ROUTE

    def _answer(
        self, event: Mapping[str, Any], context: LambdaContext
    ) -> tuple[Response, Exception | None]:
        try:
            # Fail closed before anything else: no verified caller, no route, no 404/405.
            caller = caller_of(event)
        except Unauthenticated as error:
            logger.warning("refused: no verified caller", extra={"reason": str(error)})
            return UNAUTHORIZED, error
        request = Request(event, context, caller)
        try:
            request.declared = self._route(request)
            return request.declared.function(request), None
        except Exception as error:
            return _error_response(error, request), error

    def _route(self, request: Request) -> Declaration:
        methods = self._routes.get(request.path)
        if methods is None:
            raise ClientError(HTTPStatus.NOT_FOUND, [("path", f"no route {request.path}")])
        route = methods.get(request.method)
        if route is None:
            raise MethodNotAllowed(request.method, methods)
        return route


class MethodNotAllowed(ClientError):
    """The path has routes, none for this method; `allow` lists the methods it takes."""

    def __init__(self, method: str, allowed: Iterable[str]) -> None:
        self.allow = ", ".join(sorted(allowed))
        super().__init__(
            HTTPStatus.METHOD_NOT_ALLOWED,
            [("method", f"{method} is not allowed here; use {self.allow}")],
        )


def _error_response(error: Exception, request: Request) -> Response:
    """Every error a route may raise, as the client sees it; only the unexpected are logged."""
    match error:
        case MethodNotAllowed():
            response = _client_error_response(error)
            return Response(response.status, response.body, {"Allow": error.allow})
        case ClientError():
            return _client_error_response(error)
        case InvalidCursor():
            return _client_error_response(
                ClientError(HTTPStatus.BAD_REQUEST, [("cursor", str(error))])
            )
        case HistoryUnavailable():
            logger.error("history store unavailable", extra={"reason": str(error)})
            return error_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"message": "History is unavailable; nothing was recorded. Try again shortly."},
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        case _:
            logger.exception("unhandled error", extra={"api_request_id": request.id})
            return error_response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"message": "Internal error", "requestId": request.id},
            )
