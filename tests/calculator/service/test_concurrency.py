"""Many Lambda containers writing at once, for two callers: each request recorded exactly once,
in its own caller's history only."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

from calculator.functions.add import handler as add
from calculator.shared.history import HistoryStore
from lambda_devkit.testing.aws import (
    MotoServer,
    create_history_table,
    dynamodb_client,
    patient_clients,
)
from lambda_devkit.testing.events import CALLER
from lambda_devkit.testing.load import (
    CONTAINERS,
    REQUESTS,
    SUBJECTS,
    WORKERS,
    invoke,
    start_container,
)
from lambda_http.identity import Caller


def test_parallel_requests_of_two_callers_are_each_recorded_once_in_their_own_history(
    moto_server: MotoServer,
) -> None:
    client = dynamodb_client(moto_server.endpoint)
    table = create_history_table(client)
    # Interleaved, so both callers' writes are in flight at once; some at the same instant.
    numbers = [(subject, n) for n in range(REQUESTS) for subject in SUBJECTS]
    requests = [
        (subject, f"{subject}-{n:03d}", 1_795_771_800_000 + n % 7, json.dumps({"a": n, "b": n}))
        for subject, n in numbers
    ]
    with ProcessPoolExecutor(
        CONTAINERS,
        mp_context=WORKERS,
        initializer=start_container,
        initargs=(moto_server.endpoint, table, add.__name__, "add"),
    ) as pool:
        results = list(pool.map(invoke, requests))

    assert [status for status, _ in results] == [200] * len(requests)
    assert [body["result"] for _, body in results] == [2 * n for _, n in numbers]
    store = HistoryStore(patient_clients(moto_server.endpoint), table)
    for subject in SUBJECTS:
        caller = Caller(CALLER.issuer, subject)
        items = store.recent(caller, 100).items
        assert sorted(item.id for item in items) == [f"{subject}-{n:03d}" for n in range(REQUESTS)]
        assert {item.id: item.result for item in items} == {
            f"{subject}-{n:03d}": 2 * n for n in range(REQUESTS)
        }
