"""The concurrency load: its shape, one for the in-process test and the one over HTTP, and the
in-process test's worker processes.

The workers are here, not in the test module, because a spawned process unpickles them by
their module's name, and a test module has no importable name under pytest's importlib mode.
"""

from __future__ import annotations

import json
import os
from typing import Any

# Clients at once: the template's reserved concurrency per function is at least this.
CONTAINERS = 8
REQUESTS = 64  # per caller
SUBJECTS = ("alice", "bob")
# Over HTTP the same interleaving with fewer requests: exactly-once is proven in process
# (tests/calculator/service/test_concurrency.py); over HTTP what is at stake is that parallel
# callers, each with a token of its own, see only their own items, which 16 each show as 64 do.
HTTP_REQUESTS = 16  # per caller


def start_container(endpoint: str, table: str) -> None:
    """A worker process's initializer: one Lambda container, with its own import of the add
    handler and its own client, configured through the environment as Lambda would."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    from calculator.shared.history import TABLE_NAME_ENV, HistoryStore

    os.environ[TABLE_NAME_ENV] = table
    import calculator.functions.add.handler as add
    from lambda_devkit.testing.aws import patient_clients

    # Its store behind patient clients: eight containers and moto on a busy machine may wait
    # seconds for a write, which the time budget would answer 503. What is under test is that
    # each write lands once, in its caller's partition, not how fast.
    add.store = HistoryStore(patient_clients(endpoint), table)


def invoke_add(request: tuple[str, int]) -> tuple[int, Any]:
    """In a worker: subject's add of n + n, with a request id of its own; (status, body)."""
    from calculator.functions.add.handler import handler
    from lambda_devkit.testing.context import fake_lambda_context
    from lambda_devkit.testing.events import as_caller, load_event

    subject, n = request
    event = as_caller(load_event("add", body=json.dumps({"a": n, "b": n})), subject)
    event["requestContext"]["requestId"] = f"{subject}-{n:03d}"
    event["requestContext"]["timeEpoch"] = 1_795_771_800_000 + n % 7  # collide on purpose
    response = handler(event, fake_lambda_context())
    return response["statusCode"], json.loads(response["body"])
