"""Many Lambda containers writing at once, for two callers: each request recorded exactly once,
in its own caller's history only."""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from calculator.shared.history import TABLE_NAME_ENV, HistoryStore
from calculator.shared.identity import Caller
from lambda_devkit.testing.aws import (
    MotoServer,
    create_history_table,
    dynamodb_client,
    patient_clients,
)
from lambda_devkit.testing.events import CALLER, as_caller, load_event
from lambda_devkit.testing.load import CONTAINERS, REQUESTS, SUBJECTS


def _start_container(endpoint: str, table: str) -> None:
    # Each worker process is one container: its own import of the handler, its own client,
    # configured through the environment as Lambda would.
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    os.environ[TABLE_NAME_ENV] = table
    import calculator.functions.add.handler as add

    # Its store behind patient clients: eight containers and moto on a busy machine may wait
    # seconds for a write, which the time budget would answer 503. What is under test is that
    # each write lands once, in its caller's partition, not how fast.
    add.store = HistoryStore(patient_clients(endpoint), table)


def _invoke(request: tuple[str, int]) -> tuple[int, Any]:
    from calculator.functions.add.handler import handler
    from lambda_devkit.testing.context import fake_lambda_context

    subject, n = request
    event = as_caller(load_event("add", body=json.dumps({"a": n, "b": n})), subject)
    event["requestContext"]["requestId"] = f"{subject}-{n:03d}"
    event["requestContext"]["timeEpoch"] = 1_795_771_800_000 + n % 7  # collide on purpose
    response = handler(event, fake_lambda_context())
    return response["statusCode"], json.loads(response["body"])


def test_parallel_requests_of_two_callers_are_each_recorded_once_in_their_own_history(
    moto_server: MotoServer,
) -> None:
    client = dynamodb_client(moto_server.endpoint)
    table = create_history_table(client)
    # Interleaved, so both callers' writes are in flight at once.
    requests = [(subject, n) for n in range(REQUESTS) for subject in SUBJECTS]
    with ProcessPoolExecutor(
        CONTAINERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_container,
        initargs=(moto_server.endpoint, table),
    ) as pool:
        results = list(pool.map(_invoke, requests))

    assert [status for status, _ in results] == [200] * len(requests)
    assert [body["result"] for _, body in results] == [2 * n for _, n in requests]
    store = HistoryStore(patient_clients(moto_server.endpoint), table)
    for subject in SUBJECTS:
        caller = Caller(CALLER.issuer, subject)
        items = store.recent(caller, 100).items
        assert sorted(item.id for item in items) == [f"{subject}-{n:03d}" for n in range(REQUESTS)]
        assert {item.id: item.result for item in items} == {
            f"{subject}-{n:03d}": 2 * n for n in range(REQUESTS)
        }
