"""What a route declares is what it reads: the OpenAPI document is built from the declarations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import ClassVar

from calculator.shared.api import Api, Request, Response, ok
from calculator.shared.models import Operands
from calculator.shared.validation import field, query_integer
from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import load_event


@dataclass(frozen=True)
class Other:
    ignore_other_fields: ClassVar[bool] = False

    a: int = field(query_integer(0, 9), {"type": "integer"})


def post(app: Api, body: str, path: str = "/add") -> tuple[int, object]:
    event = load_event("add", body=body, rawPath=path)
    response = app.resolve(event, fake_lambda_context())
    return response["statusCode"], json.loads(response["body"])


def test_a_route_reads_the_body_it_declares() -> None:
    app = Api()

    @app.post("/add", body=Operands)
    def add(request: Request) -> Response:
        operands = request.body(Operands)
        return ok({"sum": operands.a + operands.b})

    assert post(app, '{"a": 1, "b": 2}') == (200, {"sum": 3})
    status, _ = post(app, '{"a": "x", "b": 2}')
    assert status == 400


def test_a_route_reading_an_undeclared_body_fails_rather_than_contradict_its_document() -> None:
    app = Api()

    @app.post("/add", body=Other)
    def add(request: Request) -> Response:
        return ok(asdict(request.body(Operands)))

    @app.post("/undeclared")
    def undeclared(request: Request) -> Response:
        return ok(asdict(request.body(Operands)))

    assert post(app, '{"a": 1, "b": 2}')[0] == HTTPStatus.INTERNAL_SERVER_ERROR
    assert post(app, '{"a": 1, "b": 2}', "/undeclared")[0] == HTTPStatus.INTERNAL_SERVER_ERROR


def test_each_declaration_lists_the_statuses_its_route_can_answer() -> None:
    app = Api()
    app.post("/add", body=Operands)(lambda request: ok({}))
    app.get("/plain")(lambda request: ok({}))
    answers = {str(d): sorted(d.answers()) for d in app.declarations()}
    assert answers == {
        "POST /add": [400, 401, 413, 415, 500, 503],
        "GET /plain": [401, 500, 503],
    }
    (post_add,) = (d for d in app.declarations() if d.method == "POST")
    assert post_add.answers()[HTTPStatus.SERVICE_UNAVAILABLE] == ("Retry-After",)
