"""`GET /history` through `handler(event, context)`: newest first, paginated, validated."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.history import handler as history
from calculator.shared.arithmetic import Operation
from calculator.shared.history import OTHER_CALLERS_CURSOR, HistoryStore, encode_cursor
from calculator.shared.models import Calculation
from lambda_devkit.testing.aws import (
    INVALID,
    FaultProxy,
    MotoServer,
    create_history_table,
    dynamodb_client,
    patient_clients,
)
from lambda_devkit.testing.events import CALLER, EventFactory, as_caller


@pytest.fixture(autouse=True)
def injected_store(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    monkeypatch.setattr(history, "store", store)
    return store


def record(store: HistoryStore, count: int) -> None:
    for n in range(count):
        store.record(
            CALLER,
            Calculation(
                id=f"req-{n:03d}",
                operation=Operation.ADD,
                a=n,
                b=Decimal("0.5"),
                result=n + Decimal("0.5"),
                timestamp=f"2026-11-27T09:00:{n:02d}.000+00:00",
            ),
            epoch_ms=1_795_770_000_000 + n,
        )


def cursor_of(sort_key: str) -> str:
    """A cursor as the service encodes one for the fixtures' caller, around any sort key."""
    return encode_cursor(CALLER, sort_key)


def get(
    api_event: EventFactory, context: LambdaContext, as_subject: str | None = None, **query: str
) -> tuple[int, Any]:
    event = api_event(
        "history",
        queryStringParameters=query or None,
        rawQueryString="&".join(f"{k}={v}" for k, v in query.items()),
    )
    if as_subject is not None:
        event = as_caller(event, as_subject)
    response = history.handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_pages_through_everything_newest_first(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    record(injected_store, 25)
    seen: list[str] = []
    status, page = get(api_event, lambda_context, limit="10")
    while True:
        assert status == 200
        seen += [item["id"] for item in page["items"]]
        if "next" not in page:
            break
        status, page = get(api_event, lambda_context, limit="10", cursor=page["next"])
    assert seen == [f"req-{n:03d}" for n in reversed(range(25))]


def test_default_limit_is_20_and_items_are_complete(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    record(injected_store, 21)
    status, page = get(api_event, lambda_context)
    assert status == 200
    assert len(page["items"]) == 20
    assert page["items"][0] == {
        "id": "req-020",
        "operation": "add",
        "a": 20,
        "b": 0.5,
        "result": 20.5,
        "timestamp": "2026-11-27T09:00:20.000+00:00",
    }
    assert "next" in page


def test_no_next_cursor_when_the_page_holds_the_rest(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    record(injected_store, 5)
    assert "next" not in get(api_event, lambda_context, limit="5")[1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor!"}, "cursor"),
        ({"cursor": "bm9wZQ=="}, "cursor"),
        # Forged: each would reach DynamoDB as a start key it refuses (ValidationException).
        ({"cursor": cursor_of("")}, "cursor"),
        ({"cursor": cursor_of("1795770000000#")}, "cursor"),
        ({"cursor": cursor_of("1795770000000#" + "x" * 1100)}, "cursor"),
        ({"cursor": cursor_of("1795770000000 has a space")}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'{"sk": "1795770000000#a"}').decode()}, "cursor"),
        # The format before cursors were bound to a caller: a bare sort key.
        ({"cursor": base64.urlsafe_b64encode(b'"1795770000000#a"').decode()}, "cursor"),
    ],
)
def test_bad_query_strings_are_400s_naming_the_field(
    api_event: EventFactory, lambda_context: LambdaContext, query: dict[str, str], field: str
) -> None:
    status, body = get(api_event, lambda_context, **query)
    assert status == 400
    assert [error["field"] for error in body["errors"]] == [field]


def test_a_well_formed_cursor_of_a_key_never_written_pages_on_from_there(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    record(injected_store, 3)
    # Between req-001 (…001) and req-002 (…002): the page starts below it, newest first.
    status, page = get(api_event, lambda_context, cursor=cursor_of("1795770000001#zz"))
    assert status == 200
    assert [item["id"] for item in page["items"]] == ["req-001", "req-000"]


def test_dynamodb_refusing_a_cursor_is_a_400_not_a_503(
    api_event: EventFactory,
    lambda_context: LambdaContext,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = create_history_table(dynamodb_client(moto_server.endpoint))
    with FaultProxy(moto_server.endpoint).running() as proxy:
        proxy.operation, proxy.fault, proxy.throttle = "Query", INVALID, 1
        monkeypatch.setattr(history, "store", HistoryStore(patient_clients(proxy.endpoint), table))
        status, body = get(api_event, lambda_context, cursor=cursor_of("1795770000000#a"))
    assert (status, body["errors"]) == (
        400,
        [{"field": "cursor", "problem": "is not a cursor this service returned"}],
    )


def test_a_caller_lists_only_their_own_calculations(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    record(injected_store, 3)  # by the fixtures' caller
    assert get(api_event, lambda_context, as_subject="someone-else") == (200, {"items": []})
    status, page = get(api_event, lambda_context)
    assert status == 200
    assert [item["id"] for item in page["items"]] == ["req-002", "req-001", "req-000"]


def test_another_callers_cursor_is_a_400_and_never_their_data(
    api_event: EventFactory, lambda_context: LambdaContext, injected_store: HistoryStore
) -> None:
    record(injected_store, 5)
    _, page = get(api_event, lambda_context, limit="2")
    status, body = get(api_event, lambda_context, as_subject="mallory", cursor=page["next"])
    assert (status, body["errors"]) == (
        400,
        [{"field": "cursor", "problem": OTHER_CALLERS_CURSOR}],
    )
    # The cursor still works for the caller it was returned to.
    status, page = get(api_event, lambda_context, limit="2", cursor=page["next"])
    assert [item["id"] for item in page["items"]] == ["req-002", "req-001"]
