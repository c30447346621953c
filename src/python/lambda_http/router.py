"""The HTTP API's router: every function serves its declared routes through one, and nothing else.

A function builds a `Router` over the service's declared API (lambda_http.declaration), says
which of its routes it serves (`@app.serves(api.ADD)` over the function serving it) and hands
every event to `app.resolve`. Everything a client can get wrong is answered here, once, as a 4xx
with a JSON body naming the field and the problem: 404 for a path the API does not declare, 405
(with `Allow`) for a method it does not declare there. The logic's own errors reach an answer
through the library's exception types (lambda_http.errors), which the service's subclass: a
400 naming a field, or a 503 with `Retry-After`. Anything else is a 500 with a generic body and
the request id in the log.

This is a router of our own rather than Powertools' event handler: that package imports every
resolver it has (AppSync and asyncio, Bedrock, VPC Lattice...) and its OpenAPI validation
machinery, about 50 ms of every cold start for routing three fixed paths (docs/cold-start.md).
Request models are lambda_http.validation's; JSON is read and written with exact numbers
(lambda_http.exact_json).

A route declared to write (`writes=True`) is served with an idempotency store, and a request
to it with an `Idempotency-Key` is served once per key (lambda_http.idempotency): a repeat gets
the stored answer, or a 409 or a 422, without reaching the route.

`resolve` also counts every request in CloudWatch metrics (lambda_http.metrics), so a function
served by a `Router` is measured without code of its own. The Logger's service name is the
template's POWERTOOLS_SERVICE_NAME.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_http import exact_json, idempotency, metrics
from lambda_http.budget import Deadline
from lambda_http.declaration import Api, ErrorBody, Problem, Route
from lambda_http.errors import InvalidInput, Unavailable
from lambda_http.idempotency import Answer, Claim, Completion, IdempotencyStore
from lambda_http.identity import Caller, Unauthenticated, caller_of
from lambda_http.validation import Model, Rejected, validate

# The service's name comes from POWERTOOLS_SERVICE_NAME (the template sets it for every function).
logger = Logger()

MAX_BODY_BYTES = 16 * 1024
JSON_MEDIA_TYPE = "application/json"
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
    """A 200 whose JSON keeps every digit (exact_json.dumps writes Decimals as numbers)."""
    return Response(HTTPStatus.OK, exact_json.dumps(body))


# What API Gateway's JWT authorizer itself answers a request without a valid token.
UNAUTHORIZED = Response(HTTPStatus.UNAUTHORIZED, exact_json.dumps({"message": "Unauthorized"}))


def error_response(
    status: HTTPStatus, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    return Response(status, exact_json.dumps(body), headers or {})


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
        return exact_json.loads(text)
    except exact_json.OutOfBounds as error:
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
        # Set by Router.resolve once the route is known: what `body` and `query` may be read as.
        self.declared: Route | None = None
        # Set by Router.resolve when the request holds an idempotency key, and what the route
        # has stored with its write on it (`completion`).
        self.claim: Claim | None = None
        self.stored: Answer | None = None
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
        """When this invocation's work on the store must end (see lambda_http.budget)."""
        return Deadline.within(self.context.get_remaining_time_in_millis())

    def header(self, name: str) -> str | None:
        """The request header `name` (any case), or None if the request has none."""
        return _header(self.event, name.lower())

    def completion(self, body: Mapping[str, Any]) -> Completion | None:
        """What the route's write stores with its record so that a repeat of this request gets
        the same answer: the 200 `ok(body)` gives, on the idempotency key this request holds.
        None without a key: the write is then the record alone. The route must answer
        `ok(body)` (the router checks)."""
        if self.claim is None:
            return None
        self.stored = Answer(HTTPStatus.OK.value, ok(body).body)
        return Completion(self.claim, self.stored)

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


Serve = Callable[[Request], Response]


class Router:
    """What one function serves of the API: each route it serves, over the function serving it.

    `resolve` answers a payload 2.0 event: 401 without a verified caller (before anything
    else), the route's response, 404 for a path the API does not declare (or a route another
    function serves), 405 (with `Allow`: the methods the API declares for the path) for a
    method it does not declare there, and every error mapped to its status in one place
    (`_error_response`).
    """

    def __init__(self, api: Api) -> None:
        self.api = api
        self._served: dict[tuple[str, str], tuple[Route, Serve]] = {}
        self._stores: dict[tuple[str, str], Callable[[], IdempotencyStore]] = {}
        self._measured = metrics.measured(self._resolve_and_record)

    def serves(
        self, route: Route, idempotency: Callable[[], IdempotencyStore] | None = None
    ) -> Callable[[Serve], Serve]:
        """The decorated function serves `route`, which the API must declare; a route that
        writes keeps its idempotency keys in the store `idempotency()` returns."""
        if route not in self.api.routes:
            raise ValueError(f"{route} is not a route of {self.api.title}")
        if route.writes and idempotency is None:
            raise ValueError(f"{route} writes: serve it with an idempotency store")

        def register(function: Serve) -> Serve:
            if (route.method, route.path) in self._served:
                raise ValueError(f"{route} is served twice")
            self._served[(route.method, route.path)] = (route, function)
            if idempotency is not None:
                self._stores[(route.method, route.path)] = idempotency
            return function

        return register

    def routes(self) -> dict[str, frozenset[str]]:
        """Path -> the methods served for it: all this function answers (the template must
        route the same to it; the service's tests hold the two equal)."""
        paths: dict[str, set[str]] = {}
        for method, path in self._served:
            paths.setdefault(path, set()).add(method)
        return {path: frozenset(methods) for path, methods in paths.items()}

    def served(self) -> list[Route]:
        """Every route this function serves, in the order served."""
        return [route for route, _ in self._served.values()]

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
            store_failed=isinstance(error, Unavailable),
        )
        return response.to_payload()

    def _route_name(self, event: Mapping[str, Any]) -> str:
        """The served route the event is for, or `unmatched`: never the raw path, which
        the client chooses and would make a metric dimension of unbounded cardinality."""
        method, path = _method_and_path(event)
        if (method, path) in self._served:
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
            route, serve = self._route(request)
            request.declared = route
            key = request.header(idempotency.HEADER) if route.writes else None
            if key is None:
                return serve(request), None
            store = self._stores[(route.method, route.path)]()
            return _serve_once(serve, request, key, store), None
        except Exception as error:
            return _error_response(error, request), error

    def _route(self, request: Request) -> tuple[Route, Serve]:
        served = self._served.get((request.method, request.path))
        if served is not None:
            return served
        methods = self.api.methods(request.path)
        if methods and request.method not in methods:
            raise MethodNotAllowed(request.method, methods)
        # A path the API does not declare, or a route another function serves (API Gateway
        # never sends it here: only a hand-made event does).
        raise ClientError(HTTPStatus.NOT_FOUND, [("path", f"no route {request.path}")])


def _serve_once(serve: Serve, request: Request, key: str, store: IdempotencyStore) -> Response:
    """`serve(request)` unless the caller's `key` has served it already (the stored answer
    again), is serving it now (409) or served another request (422): lambda_http.idempotency."""
    problem = idempotency.key_problem(key)
    if problem is not None:
        raise ClientError(HTTPStatus.BAD_REQUEST, [(idempotency.HEADER, problem)])
    remaining_ms = request.context.get_remaining_time_in_millis()
    claim = idempotency.claim_for(
        request.caller, key, request.event, request.id, int(time.time() * 1000), remaining_ms
    )
    held = store.claim(claim, request.deadline())
    if held is not None:
        return _repeat(held, claim)
    request.claim = claim
    try:
        response = serve(request)
    except Exception:
        _release(store, request)
        raise
    if response.status != HTTPStatus.OK:
        _release(store, request)
    elif request.stored is None:
        # The route's write stored no answer (it has none, or writes elsewhere): stored now, a
        # write of its own. Should it fail, the key stays locked until the lock expires.
        try:
            store.complete(
                Completion(claim, Answer(response.status, response.body)), request.deadline()
            )
        except Unavailable as error:
            logger.error("idempotency key not completed", extra={"reason": str(error)})
    elif request.stored != Answer(response.status, response.body):
        raise RuntimeError(f"{request.declared} answered other than what it stored for a repeat")
    return response


def _repeat(held: idempotency.Held, claim: Claim) -> Response:
    """The answer to a request whose key another request holds."""
    if held.fingerprint != claim.fingerprint:
        raise ClientError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            [
                (
                    idempotency.HEADER,
                    "was sent with another request: use a new key for a new request",
                )
            ],
        )
    if held.answer is None:
        response = _client_error_response(
            ClientError(
                HTTPStatus.CONFLICT,
                [(idempotency.HEADER, "a request with this key is in progress: retry later")],
            )
        )
        return Response(response.status, response.body, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return Response(HTTPStatus(held.answer.status), held.answer.body)


def _release(store: IdempotencyStore, request: Request) -> None:
    """Gives the key back after an answer that wrote nothing; if the store cannot be reached,
    the key stays locked until the lock expires, and the request's own answer stands."""
    assert request.claim is not None
    try:
        store.release(request.claim, request.deadline())
    except Exception as error:
        logger.warning("idempotency key not released", extra={"reason": str(error)})


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
        case InvalidInput():
            return _client_error_response(
                ClientError(HTTPStatus.BAD_REQUEST, [(error.field, str(error))])
            )
        case Unavailable():
            logger.error(
                "dependency unavailable",
                extra={"error": type(error).__name__, "reason": str(error)},
            )
            return error_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"message": error.answer},
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        case _:
            logger.exception("unhandled error", extra={"api_request_id": request.id})
            return error_response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"message": "Internal error", "requestId": request.id},
            )
