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
# declare one of the inputs named ("body", "query"), or "always". The OpenAPI document lists
# them per route, with the error body (`ErrorBody`); the fuzzer in CI fails on a status the
# document does not list.
ANSWERS: Mapping[HTTPStatus, frozenset[str]] = {
    HTTPStatus.BAD_REQUEST: frozenset({"body", "query"}),
    HTTPStatus.UNAUTHORIZED: frozenset({"always"}),
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: frozenset({"body"}),
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: frozenset({"body"}),
    HTTPStatus.INTERNAL_SERVER_ERROR: frozenset({"always"}),
    HTTPStatus.SERVICE_UNAVAILABLE: frozenset({"always"}),
}
# The headers the router always sends with a status, beyond Content-Type.
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


def default_operation_id(method: str, path: str) -> str:
    """The default operation name: `POST /add` -> `postAdd`, `GET /a/{id}` -> `getAId`."""
    words = [w for w in path.replace("{", "").replace("}", "").split("/") if w]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


@dataclass(frozen=True)
class Route:
    """One route as declared. `body` and `query` are the models the route reads (the router's
    `request.body(...)` and `request.query(...)` refuse any other); `response` is the type of
    its 200 body (a model or a TypedDict); `summary` is the document's one line about it."""

    method: str
    path: str
    operation_id: str
    summary: str
    body: type[Model] | None = None
    query: type[Model] | None = None
    response: object = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def answers(self) -> dict[HTTPStatus, tuple[str, ...]]:
        """Each status besides 200 that the router may answer this route with, and the headers
        that come with it (`ANSWERS`, `ANSWER_HEADERS`)."""
        inputs = {"always"} | {part for part in ("body", "query") if getattr(self, part)}
        return {
            status: ANSWER_HEADERS.get(status, ())
            for status, when in ANSWERS.items()
            if when & inputs
        }


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
    ) -> Route:
        return self.route(
            "POST", path, operation_id=operation_id, summary=summary, body=body, response=response
        )

    def methods(self, path: str) -> frozenset[str]:
        """The methods declared for `path`: none for a path the API does not have."""
        return frozenset(r.method for r in self.routes if r.path == path)
