"""`GET /history` through `handler(event, context)`: newest first, paginated, validated."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.history import handler as history
from calculator.shared.arithmetic import Operation
from calculator.shared.history import HistoryStore
from calculator.shared.models import Calculation
from lambda_events import EventFactory


@pytest.fixture(autouse=True)
def injected_store(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    monkeypatch.setattr(history, "store", store)
    return store


def record(store: HistoryStore, count: int) -> None:
    for n in range(count):
        store.record(
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


def get(api_event: EventFactory, context: LambdaContext, **query: str) -> tuple[int, Any]:
    event = api_event(
        "history",
        queryStringParameters=query or None,
        rawQueryString="&".join(f"{k}={v}" for k, v in query.items()),
    )
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
    ],
)
def test_bad_query_strings_are_400s_naming_the_field(
    api_event: EventFactory, lambda_context: LambdaContext, query: dict[str, str], field: str
) -> None:
    status, body = get(api_event, lambda_context, **query)
    assert status == 400
    assert [error["field"] for error in body["errors"]] == [field]
