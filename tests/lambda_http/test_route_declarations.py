"""What a route declares is what it reads: the OpenAPI document is built from the declarations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import ClassVar

import pytest

from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import request_event
from lambda_http.declaration import Api
from lambda_http.router import Request, Response, Router, ok
from lambda_http.validation import field, query_integer


@dataclass(frozen=True)
class Operands:
    ignore_other_fields: ClassVar[bool] = False

    a: int = field(query_integer(-(10**9), 10**9), {"type": "integer"})
    b: int = field(query_integer(-(10**9), 10**9), {"type": "integer"})


@dataclass(frozen=True)
class Other:
    ignore_other_fields: ClassVar[bool] = False

    a: int = field(query_integer(0, 9), {"type": "integer"})


def post(app: Router, body: str, path: str = "/add") -> tuple[int, object]:
    response = app.resolve(request_event("POST", path, body), fake_lambda_context())
    return response["statusCode"], json.loads(response["body"])


def test_a_route_reads_the_body_it_declares() -> None:
    api = Api("T", "1.0.0")
    app = Router(api)

    @app.serves(api.post("/add", body=Operands))
    def add(request: Request) -> Response:
        operands = request.body(Operands)
        return ok({"sum": operands.a + operands.b})

    assert post(app, '{"a": 1, "b": 2}') == (200, {"sum": 3})
    status, _ = post(app, '{"a": "x", "b": 2}')
    assert status == 400


def test_a_route_reading_an_undeclared_body_fails_rather_than_contradict_its_document() -> None:
    api = Api("T", "1.0.0")
    app = Router(api)

    @app.serves(api.post("/add", body=Other))
    def add(request: Request) -> Response:
        return ok(asdict(request.body(Operands)))

    @app.serves(api.post("/undeclared"))
    def undeclared(request: Request) -> Response:
        return ok(asdict(request.body(Operands)))

    assert post(app, '{"a": 1, "b": 2}')[0] == HTTPStatus.INTERNAL_SERVER_ERROR
    assert post(app, '{"a": 1, "b": 2}', "/undeclared")[0] == HTTPStatus.INTERNAL_SERVER_ERROR


def test_each_declaration_lists_the_statuses_its_route_can_answer() -> None:
    api = Api("T", "1.0.0")
    api.post("/add", body=Operands)
    api.get("/plain")
    answers = {str(d): sorted(d.answers()) for d in api.routes}
    assert answers == {
        "POST /add": [400, 401, 413, 415, 500, 503],
        "GET /plain": [401, 500, 503],
    }
    (post_add,) = (d for d in api.routes if d.method == "POST")
    assert post_add.answers()[HTTPStatus.SERVICE_UNAVAILABLE] == ("Retry-After",)


def test_a_route_that_writes_takes_an_idempotency_key_and_needs_a_store_to_keep_it() -> None:
    api = Api("T", "1.0.0")
    writes = api.post("/record", body=Operands, writes=True)
    assert sorted(writes.answers()) == [400, 401, 409, 413, 415, 422, 500, 503]
    assert writes.answers()[HTTPStatus.CONFLICT] == ("Retry-After",)
    assert [h.name for h in writes.headers()] == ["Idempotency-Key"]
    assert api.post("/read", body=Operands).headers() == ()
    with pytest.raises(ValueError, match="POST /record writes: serve it with an idempotency store"):
        Router(api).serves(writes)
