"""The router itself: declarations, matching, and what a route's errors become."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calculator.shared.api import Api, Request, Response, ok
from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import CALLER, load_event


def answer(app: Api, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
    event = load_event("history", rawPath=path)
    event["requestContext"]["http"]["method"] = method
    response = app.resolve(event, fake_lambda_context())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def test_a_route_is_declared_once() -> None:
    app = Api()
    app.get("/things")(lambda request: ok({}))
    with pytest.raises(ValueError, match="GET /things is declared twice"):
        app.route("get", "/things")(lambda request: ok({}))


def test_routes_match_method_and_path_exactly_and_405_lists_every_method() -> None:
    app = Api()

    @app.get("/things")
    def things(request: Request) -> Response:
        return ok({"method": request.method, "caller": request.caller.subject})

    app.route("delete", "/things")(lambda request: ok({}))
    assert answer(app, "get", "/things")[:2] == (200, {"method": "GET", "caller": CALLER.subject})
    assert answer(app, "GET", "/things/")[0] == 404
    status, body, headers = answer(app, "POST", "/things")
    assert (status, headers["Allow"]) == (405, "DELETE, GET")
    assert body["errors"] == [
        {"field": "method", "problem": "POST is not allowed here; use DELETE, GET"}
    ]
