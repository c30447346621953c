"""The router itself: declarations, matching, and what a route's errors become."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import CALLER, request_event
from lambda_http.declaration import Api
from lambda_http.errors import InvalidInput, Unavailable
from lambda_http.router import Request, Response, Router, ok


def answer(app: Router, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
    response = app.resolve(request_event(method, path), fake_lambda_context())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def test_a_route_is_declared_once_and_served_once_by_a_router_of_its_api() -> None:
    api = Api("T", "1.0.0")
    things = api.get("/things")
    with pytest.raises(ValueError, match="GET /things is declared twice"):
        api.route("get", "/things")
    app = Router(api)
    app.serves(things)(lambda request: ok({}))
    with pytest.raises(ValueError, match="GET /things is served twice"):
        app.serves(things)(lambda request: ok({}))
    with pytest.raises(ValueError, match="GET /other is not a route of T"):
        app.serves(Api("U", "1.0.0").get("/other"))


def test_routes_match_method_and_path_exactly_and_405_lists_every_declared_method() -> None:
    api = Api("T", "1.0.0")
    app = Router(api)

    @app.serves(api.get("/things"))
    def things(request: Request) -> Response:
        return ok({"method": request.method, "caller": request.caller.subject})

    # Declared, and served by another function: API Gateway never sends it here.
    api.route("delete", "/things")
    assert answer(app, "get", "/things")[:2] == (200, {"method": "GET", "caller": CALLER.subject})
    assert answer(app, "GET", "/things/")[0] == 404
    assert answer(app, "DELETE", "/things")[0] == 404
    status, body, headers = answer(app, "POST", "/things")
    assert (status, headers["Allow"]) == (405, "DELETE, GET")
    assert body["errors"] == [
        {"field": "method", "problem": "POST is not allowed here; use DELETE, GET"}
    ]


class BadToken(InvalidInput):
    field = "token"


class Down(Unavailable):
    answer = "Down; try again."


def test_the_logic_s_errors_are_answered_through_the_library_s_types() -> None:
    api = Api("T", "1.0.0")
    app = Router(api)

    def bad(request: Request) -> Response:
        raise BadToken("is not one of ours")

    def down(request: Request) -> Response:
        raise Down("connection refused")

    app.serves(api.get("/bad"))(bad)
    app.serves(api.get("/down"))(down)
    assert answer(app, "GET", "/bad")[:2] == (
        400,
        {"message": "Bad Request", "errors": [{"field": "token", "problem": "is not one of ours"}]},
    )
    status, body, headers = answer(app, "GET", "/down")
    assert (status, body, headers["Retry-After"]) == (503, {"message": "Down; try again."}, "1")
