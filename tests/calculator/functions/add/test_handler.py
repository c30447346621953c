"""`POST /add` through `handler(event, context)`, recording into moto's DynamoDB."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.add import handler as add
from calculator.shared.history import HistoryStore
from lambda_devkit.testing.events import CALLER, EventFactory
from lambda_http.router import logger


@pytest.fixture(autouse=True)
def injected_store(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    monkeypatch.setattr(add, "store", store)
    return store


def call(event: dict[str, Any], context: LambdaContext) -> tuple[int, Any]:
    response = add.handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_adds_decimals_exactly_and_records_the_calculation(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    response = add.handler(api_event("add"), lambda_context)
    assert response["statusCode"] == 200
    assert response["body"] == (
        '{"operation":"add","a":0.1,"b":0.2,"result":0.3,"id":"cZ3WvhzQoAMEJxw="}'
    )
    (recorded,) = injected_store.recent(CALLER, 10).items
    assert recorded.to_body() == {
        "id": "cZ3WvhzQoAMEJxw=",
        "operation": "add",
        "a": Decimal("0.1"),
        "b": Decimal("0.2"),
        "result": Decimal("0.3"),
        "timestamp": "2026-11-27T09:30:00.000+00:00",
    }


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ("{not json", 400, [{"field": "body", "problem": "is not valid JSON"}]),
        ("[1, 2]", 400, [{"field": "body", "problem": "must be a JSON object"}]),
        ('{"a": 1}', 400, [{"field": "b", "problem": "is required"}]),
        ('{"a": 1, "b": 2, "c": 3}', 400, [{"field": "c", "problem": "is not allowed"}]),
        ('{"a": true, "b": 2}', 400, [{"field": "a", "problem": "must be a number"}]),
        (
            '{"a": "1", "b": null}',
            400,
            [
                {"field": "a", "problem": "must be a number"},
                {"field": "b", "problem": "must be a number"},
            ],
        ),
        (
            '{"a": NaN, "b": 1}',
            400,
            [{"field": "body", "problem": "NaN is not a number JSON allows"}],
        ),
        (
            '{"a": Infinity, "b": 1}',
            400,
            [{"field": "body", "problem": "Infinity is not a number JSON allows"}],
        ),
        (
            '{"a": 1e1001, "b": 1}',
            400,
            [{"field": "a", "problem": "must have an exponent between -1000 and 1000"}],
        ),
        (
            '{"a": ' + "9" * 1001 + ', "b": 1}',
            400,
            [{"field": "body", "problem": "must have at most 1000 digits"}],
        ),
        (
            '{"a": 1, "b": ' + "1" * 17000 + "}",
            413,
            [{"field": "body", "problem": "must be at most 16384 bytes"}],
        ),
    ],
)
def test_bad_bodies_are_4xx_naming_field_and_problem(
    api_event: EventFactory,
    lambda_context: LambdaContext,
    injected_store: HistoryStore,
    body: str,
    status: int,
    errors: list[dict[str, str]],
) -> None:
    assert call(api_event("add", body=body), lambda_context) == (
        status,
        {"message": HTTPStatus(status).phrase, "errors": errors},
    )
    assert injected_store.recent(CALLER, 10).items == []


def test_base64_bodies_are_decoded_before_validation(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    # '{"a":1,"b":2}', as an HTTP API passes a body it does not take for text.
    status, body = call(
        api_event("add", body="eyJhIjoxLCJiIjoyfQ==", isBase64Encoded=True), lambda_context
    )
    assert (status, body["result"]) == (200, 3)


SEND_JSON = "must be application/json: send the body as JSON with Content-Type: application/json"


@pytest.mark.parametrize(
    ("headers", "body", "base64_encoded", "status", "errors"),
    [
        ({"content-type": "Application/JSON; Charset=UTF-8"}, b'{"a":1,"b":2}', False, 200, None),
        ({"Content-Type": "application/problem+json"}, b'{"a":1,"b":2}', False, 200, None),
        ({}, b'{"a":1,"b":2}', False, 200, None),  # no content type: JSON if it parses
        ({}, b"a=1&b=2", False, 400, [{"field": "body", "problem": "is not valid JSON"}]),
        # curl -d '{"a":1,"b":2}' without -H: a form type, which an HTTP API base64-encodes.
        (
            {"content-type": "application/x-www-form-urlencoded"},
            b'{"a":1,"b":2}',
            True,
            415,
            [{"field": "Content-Type", "problem": SEND_JSON}],
        ),
        (
            {"content-type": "text/plain"},
            b'{"a":1}',
            False,
            415,
            [{"field": "Content-Type", "problem": SEND_JSON}],
        ),
        (
            {"content-type": "application/json; charset=latin-1"},
            b'{"a":1,"b":2}',
            False,
            415,
            [
                {
                    "field": "Content-Type",
                    "problem": "charset latin-1 is not supported; JSON is UTF-8",
                }
            ],
        ),
        (
            {"content-type": "application/json", "content-encoding": "gzip"},
            b"\x1f\x8b\x08\x00",
            True,
            415,
            [
                {
                    "field": "Content-Encoding",
                    "problem": "gzip is not supported; send the body uncompressed",
                }
            ],
        ),
        (
            {"content-type": "application/json"},
            b'{"a": "\x80", "b": 1}',
            True,
            400,
            [{"field": "body", "problem": "is not UTF-8 text (byte 7)"}],
        ),
    ],
)
def test_content_negotiation_answers_every_media_type_and_encoding(
    api_event: EventFactory,
    lambda_context: LambdaContext,
    headers: dict[str, str],
    body: bytes,
    base64_encoded: bool,
    status: int,
    errors: list[dict[str, str]] | None,
) -> None:
    text = base64.b64encode(body).decode() if base64_encoded else body.decode()
    event = api_event("add", headers=headers, body=text, isBase64Encoded=base64_encoded)
    answered, document = call(event, lambda_context)
    assert answered == status, document
    if errors is None:
        assert document["result"] == 3
    else:
        assert document == {"message": HTTPStatus(status).phrase, "errors": errors}


def test_a_base64_body_is_held_to_the_size_limit_once_decoded(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    body = b'{"a": 1, "b": ' + b"1" * 16_380 + b"}"
    event = api_event("add", body=base64.b64encode(body).decode(), isBase64Encoded=True)
    assert call(event, lambda_context)[0] == 413


def test_unknown_route_is_404_and_wrong_method_405(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = api_event("add", rawPath="/undeclared")
    event["requestContext"]["http"]["path"] = "/undeclared"
    assert call(event, lambda_context)[0] == 404
    event = api_event("add")
    event["requestContext"]["http"]["method"] = "GET"
    response = add.handler(event, lambda_context)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"


class BrokenStore:
    """A store with a bug in it: what an unexpected error looks like to the handler."""

    def record(self, *_: object) -> None:
        raise KeyError("a bug")


def test_an_unexpected_error_is_a_generic_500_with_the_request_id_logged(
    api_event: EventFactory,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(add, "store", BrokenStore())
    logger.setLevel("ERROR")
    try:
        status, body = call(api_event("add"), lambda_context)
    finally:
        logger.setLevel("CRITICAL")
    assert (status, body) == (500, {"message": "Internal error", "requestId": "cZ3WvhzQoAMEJxw="})
    (error,) = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert error.__dict__["api_request_id"] == "cZ3WvhzQoAMEJxw="
    assert error.exc_info is not None and error.exc_info[0] is KeyError


def test_a_list_body_is_not_an_object_even_if_its_first_item_is(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    # Powertools' validation took the first item of a list body: this was a 200.
    assert call(api_event("add", body='[{"a": 1, "b": 2}]'), lambda_context) == (
        400,
        {
            "message": "Bad Request",
            "errors": [{"field": "body", "problem": "must be a JSON object"}],
        },
    )
    assert injected_store.recent(CALLER, 10).items == []
