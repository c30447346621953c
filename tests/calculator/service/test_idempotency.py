"""`Idempotency-Key` on the calculation routes, in process against moto: a repeat is answered
once, from what the first request stored with its record. (The packaged zips, a concurrent
repeat and a lost answer: tests/calculator/packaged/test_packaged_functions.py.)"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.add import handler as add
from calculator.functions.multiply import handler as multiply
from calculator.shared.history import HistoryStore
from lambda_devkit.testing.events import CALLER, EventFactory, as_caller, request_event, with_key
from lambda_http import idempotency
from lambda_http.declaration import Api
from lambda_http.identity import Caller
from lambda_http.router import Request, Response, Router, ok


@pytest.fixture(autouse=True)
def injected_store(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    monkeypatch.setattr(add, "store", store)
    monkeypatch.setattr(multiply, "store", store)
    return store


def ids(store: HistoryStore, subject: str = CALLER.subject) -> list[str]:
    """The ids in the history of the fixtures' issuer's `subject`, newest first."""
    return [item.id for item in store.recent(Caller(CALLER.issuer, subject), 100).items]


def test_a_repeat_gets_the_first_answer_byte_for_byte_and_writes_nothing(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    first = add.handler(with_key(api_event("add"), "k-1", "first"), lambda_context)
    again = add.handler(with_key(api_event("add"), "k-1", "again"), lambda_context)
    assert first["statusCode"] == 200
    assert again == first
    assert json.loads(again["body"])["id"] == "first"
    assert ids(injected_store) == ["first"]


def test_without_the_header_every_request_is_recorded_as_before(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    for request_id in ("plain-1", "plain-2"):
        event = api_event("add")
        event["requestContext"]["requestId"] = request_id
        assert add.handler(event, lambda_context)["statusCode"] == 200
    assert ids(injected_store) == ["plain-2", "plain-1"]


def test_the_same_key_with_another_body_or_route_is_a_422_and_writes_nothing(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    assert (
        add.handler(with_key(api_event("add"), "k-2", "first"), lambda_context)["statusCode"] == 200
    )
    other_body = with_key(api_event("add", body='{"a": 1, "b": 2}'), "k-2", "other-body")
    other_route = with_key(api_event("multiply", body=api_event("add")["body"]), "k-2", "other")
    for response in (
        add.handler(other_body, lambda_context),
        multiply.handler(other_route, lambda_context),
    ):
        assert response["statusCode"] == 422
        assert json.loads(response["body"]) == {
            "message": "Unprocessable Content",
            "errors": [
                {
                    "field": "Idempotency-Key",
                    "problem": "was sent with another request: use a new key for a new request",
                }
            ],
        }
    assert ids(injected_store) == ["first"]


def test_a_key_belongs_to_its_caller(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    mine = add.handler(with_key(api_event("add"), "shared", "mine"), lambda_context)
    theirs = add.handler(
        as_caller(with_key(api_event("add"), "shared", "theirs"), "someone-else"), lambda_context
    )
    assert (mine["statusCode"], theirs["statusCode"]) == (200, 200)
    assert json.loads(theirs["body"])["id"] == "theirs"
    assert ids(injected_store) == ["mine"]
    assert ids(injected_store, "someone-else") == ["theirs"]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "must not be empty"),
        ("k" * 256, "must be at most 255 characters"),
        ("caf\u00e9", "must be printable ASCII (space to ~)"),
        ("tab\there", "must be printable ASCII (space to ~)"),
    ],
)
def test_a_key_that_is_empty_too_long_or_not_printable_ascii_is_a_400(
    api_event: EventFactory,
    lambda_context: LambdaContext,
    injected_store: HistoryStore,
    key: str,
    problem: str,
) -> None:
    response = add.handler(with_key(api_event("add"), key, "bad-key"), lambda_context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"] == [
        {"field": "Idempotency-Key", "problem": problem}
    ]
    assert ids(injected_store) == []


def test_a_key_whose_request_failed_is_free_for_the_corrected_request(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    bad = with_key(api_event("add", body='{"a": true, "b": 1}'), "k-3", "bad")
    assert add.handler(bad, lambda_context)["statusCode"] == 400
    fixed = add.handler(with_key(api_event("add"), "k-3", "fixed"), lambda_context)
    assert fixed["statusCode"] == 200
    assert ids(injected_store) == ["fixed"]


def test_a_key_held_by_an_invocation_that_timed_out_is_taken_over(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    event = with_key(api_event("add"), "k-4", "retry")
    # What a request that died holding the key left: a lock until its timeout, 10 s ago.
    started_ms = int(time.time() * 1000) - 20_000
    dead = idempotency.claim_for(CALLER, "k-4", event, "died", started_ms, remaining_ms=10_000)
    assert injected_store.claim(dead) is None
    response = add.handler(event, lambda_context)
    assert response["statusCode"] == 200
    assert ids(injected_store) == ["retry"]
    # The key now holds the retry's answer, and the dead request's hold is gone.
    held = injected_store.claim(dead)
    assert held is not None and held.answer is not None
    assert held.answer.body == response["body"]


def test_a_route_whose_own_write_stores_no_answer_has_it_stored_by_the_router(
    lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    # A route as the scaffold writes one: it writes elsewhere (here: a list), not to the store.
    api = Api("T", "1.0.0")
    app = Router(api)
    served: list[str] = []

    @app.serves(api.post("/echo", writes=True), idempotency=lambda: injected_store)
    def echo(request: Request) -> Response:
        served.append(request.id)
        return ok({"served": request.id})

    def post(request_id: str) -> dict[str, Any]:
        event = with_key(request_event("POST", "/echo", '{"x": 1}'), "echo-key", request_id)
        return app.resolve(event, lambda_context)

    first, again = post("echo-1"), post("echo-2")
    assert (first["statusCode"], json.loads(first["body"])) == (200, {"served": "echo-1"})
    assert again == first
    assert served == ["echo-1"]
