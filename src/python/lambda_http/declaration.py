"""An HTTP API declared as data: its title and version, and every route with what it reads.

A service declares its API once, in a module of its own (`api = Api(title, version)`, then
`api.post("/path", body=Model, response=Body, ...)` per route). That module is what the
service's functions serve (lambda_http.router) and what its OpenAPI document is built from, at
build time (lambda_devkit.openapi): it imports models and this module, never the logic, so
the document does not depend on the code that computes the answers. Nothing here imports a
third-party package: the document's generator imports it in well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import ClassVar, NotRequired, TypedDict

from lambda_http.validation import Model

# Every status the router can answer a declared route with, and for which routes: those that
# declare one of the inputs named ("body", "query"), that write ("writes": they take an
# `Idempotency-Key`, lambda_http.idempotency), or "always". The OpenAPI document lists them per
# route, with the error body (`ErrorBody`); the fuzzer in CI fails on a status the document does
# not list.
ANSWERS: Mapping[HTTPStatus, frozenset[str]] = {
    HTTPStatus.BAD_REQUEST: frozenset({"body", "query", "writes"}),
    HTTPStatus.UNAUTHORIZED: frozenset({"always"}),
    HTTPStatus.CONFLICT: frozenset({"writes"}),
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: frozenset({"body"}),
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: frozenset({"body"}),
    HTTPStatus.UNPROCESSABLE_ENTITY: frozenset({"writes"}),
    HTTPStatus.INTERNAL_SERVER_ERROR: frozenset({"always"}),
    HTTPStatus.SERVICE_UNAVAILABLE: frozenset({"always"}),
}
# The headers the router always sends with a status, beyond Content-Type.
ANSWER_HEADERS: Mapping[HTTPStatus, tuple[str, ...]] = {
    HTTPStatus.CONFLICT: ("Retry-After",),
    HTTPStatus.SERVICE_UNAVAILABLE: ("Retry-After",),
}


@dataclass(frozen=True)
class Header:
    """A request header a route reads, as its OpenAPI parameter: name, meaning, JSON Schema."""

    name: str
    description: str
    schema: Mapping[str, object]


# Printable ASCII (space to tilde), as the IETF httpapi draft's keys are in practice (UUIDs).
IDEMPOTENCY_KEY_MAX_CHARS = 255
IDEMPOTENCY_KEY_PATTERN = "^[ -~]+$"
# The header every route that writes takes (lambda_http.idempotency says what it does).
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Makes a retry safe: a repeat with the same key and body gets the first answer again "
    "(the same status and body) and writes nothing; the same key with another body is a 422, "
    "and a repeat while the first is in progress a 409. Keys are the caller's own and are "
    "remembered as long as the record the request wrote.",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_CHARS,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
)


class Problem(TypedDict):
    field: str
    problem: str


class ErrorBody(TypedDict):
    """Every answer but a 200: API Gateway's own are `{"message": ...}` alone."""

    message: str
    errors: NotRequired[list[Problem]]  # a 4xx: each field the client must change, and why
    requestId: NotRequired[str]  # a 500: what to quote when reporting it


def default_operation_id(method: str, path: str) -> str:
    """The default operation name: `POST /add` -> `postAdd`, `GET /a/{id}` -> `getAId`."""
    words = [w for w in path.replace("{", "").replace("}", "").split("/") if w]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


@dataclass(frozen=True)
class Route:
    """One route as declared. `body` and `query` are the models the route reads (the router's
    `request.body(...)` and `request.query(...)` refuse any other); `response` is the type of
    its 200 body (a model or a TypedDict); `summary` is the document's one line about it.
    `writes`: the route changes what the service stores, so a client may retry it safely with
    an `Idempotency-Key` (the router serves it with an idempotency store)."""

    method: str
    path: str
    operation_id: str
    summary: str
    body: type[Model] | None = None
    query: type[Model] | None = None
    response: object = None
    writes: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def answers(self) -> dict[HTTPStatus, tuple[str, ...]]:
        """Each status besides 200 that the router may answer this route with, and the headers
        that come with it (`ANSWERS`, `ANSWER_HEADERS`)."""
        inputs = {"always"} | {part for part in ("body", "query", "writes") if getattr(self, part)}
        return {
            status: ANSWER_HEADERS.get(status, ())
            for status, when in ANSWERS.items()
            if when & inputs
        }

    def headers(self) -> tuple[Header, ...]:
        """The request headers the route reads beyond Authorization and Content-Type."""
        return (IDEMPOTENCY_KEY,) if self.writes else ()


@dataclass
class Api:
    """A service's API: its title, version and description, and its routes in declared order."""

    title: str
    version: str
    description: str = ""
    routes: list[Route] = field(default_factory=list)
    # The body of every answer but a 200.
    error_body: ClassVar[type] = ErrorBody

    def route(
        self,
        method: str,
        path: str,
        *,
        operation_id: str | None = None,
        summary: str | None = None,
        body: type[Model] | None = None,
        query: type[Model] | None = None,
        response: object = None,
        writes: bool = False,
    ) -> Route:
        """Declares `method path` and returns it, for the function that serves it."""
        method = method.upper()
        if any((r.method, r.path) == (method, path) for r in self.routes):
            raise ValueError(f"{method} {path} is declared twice")
        declared = Route(
            method,
            path,
            operation_id or default_operation_id(method, path),
            summary or f"{method} {path}",
            body,
            query,
            response,
            writes,
        )
        self.routes.append(declared)
        return declared

    def get(
        self,
        path: str,
        *,
        operation_id: str | None = None,
        summary: str | None = None,
        query: type[Model] | None = None,
        response: object = None,
    ) -> Route:
        return self.route(
            "GET", path, operation_id=operation_id, summary=summary, query=query, response=response
        )

    def post(
        self,
        path: str,
        *,
        operation_id: str | None = None,
        summary: str | None = None,
        body: type[Model] | None = None,
        response: object = None,
        writes: bool = False,
    ) -> Route:
        return self.route(
            "POST",
            path,
            operation_id=operation_id,
            summary=summary,
            body=body,
            response=response,
            writes=writes,
        )

    def methods(self, path: str) -> frozenset[str]:
        """The methods declared for `path`: none for a path the API does not have."""
        return frozenset(r.method for r in self.routes if r.path == path)
