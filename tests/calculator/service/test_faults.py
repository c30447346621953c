"""When DynamoDB fails, a client gets a 503 with Retry-After, never a 200 that history lacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.add import handler as add
from calculator.shared.history import HistoryStore
from lambda_devkit.testing.aws import (
    INVALID,
    FaultProxy,
    MotoServer,
    create_history_table,
    dynamodb_client,
    dynamodb_clients,
    patient_clients,
    silent_store,
)
from lambda_devkit.testing.context import FakeLambdaContext
from lambda_devkit.testing.events import CALLER, EventFactory


def post_add(api_event: EventFactory, context: LambdaContext, request_id: str) -> dict[str, object]:
    event = api_event("add")
    event["requestContext"]["requestId"] = request_id
    return add.handler(event, context)


@dataclass(frozen=True)
class Throttled:
    """The add function writing through a fault proxy; `direct` reads the table past it."""

    proxy: FaultProxy
    direct: HistoryStore


@pytest.fixture
def throttled(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Throttled]:
    direct = dynamodb_client(moto_server.endpoint)
    table = create_history_table(direct)
    with FaultProxy(moto_server.endpoint).running() as proxy:
        # Patient clients: the faults are the proxy's, never a starved moto's slow answer.
        monkeypatch.setattr(add, "store", HistoryStore(patient_clients(proxy.endpoint), table))
        yield Throttled(proxy, HistoryStore(patient_clients(moto_server.endpoint), table))


def test_throttled_writes_answer_503_and_record_nothing(
    throttled: Throttled, api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    proxy = throttled.proxy
    assert post_add(api_event, lambda_context, "ok-1")["statusCode"] == 200

    proxy.throttle = 100  # more than the client's retries
    response = post_add(api_event, lambda_context, "throttled")
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"  # type: ignore[index]
    assert "nothing was recorded" in json.loads(str(response["body"]))["message"]
    # Three attempts in all before giving up.
    assert proxy.throttled == 3

    assert [item.id for item in throttled.direct.recent(CALLER, 10).items] == ["ok-1"]


def test_a_throttle_the_retries_absorb_is_recorded_exactly_once(
    throttled: Throttled, api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    throttled.proxy.throttle = 2
    assert post_add(api_event, lambda_context, "retried")["statusCode"] == 200
    assert [item.id for item in throttled.direct.recent(CALLER, 10).items] == ["retried"]


def test_server_stopped_mid_run_gives_503_not_200(
    api_event: EventFactory, lambda_context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = MotoServer().start()
    # Patient clients: the fault is a refused connection, which no timeout has to notice.
    store = HistoryStore(
        patient_clients(server.endpoint), create_history_table(dynamodb_client(server.endpoint))
    )
    monkeypatch.setattr(add, "store", store)
    assert post_add(api_event, lambda_context, "before")["statusCode"] == 200
    server.stop()
    response = post_add(api_event, lambda_context, "after")
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"  # type: ignore[index]


def test_a_store_that_never_answers_is_a_503_within_the_invocation(
    api_event: EventFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2.5 s left: less than one full attempt (connect + read ceilings), so the budget, not the
    # ceilings, sets the timeouts. The packaged zip is held to the template's timeout in
    # tests/calculator/packaged/test_hung_store.py.
    context = FakeLambdaContext(remaining_ms=2_500)
    with silent_store() as endpoint:
        store = HistoryStore(dynamodb_clients(endpoint), "never-answers")
        monkeypatch.setattr(add, "store", store)
        response = post_add(api_event, context, "hung")  # type: ignore[arg-type]
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"  # type: ignore[index]


def test_dynamodb_refusing_a_write_as_invalid_is_a_500_not_a_503(
    throttled: Throttled, api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    # A 503 with Retry-After would have the client retry, forever, what is our bug.
    throttled.proxy.fault, throttled.proxy.throttle = INVALID, 100
    response = post_add(api_event, lambda_context, "invalid")
    assert response["statusCode"] == 500
    assert throttled.proxy.throttled == 1  # not retried either
