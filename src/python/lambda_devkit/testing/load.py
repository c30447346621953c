"""The concurrency load of tests/calculator/service/test_concurrency.py: its shape, and its
worker processes.

The workers are here, not in the test module, because a spawned process unpickles them by
their module's name, and a test module has no importable name under pytest's importlib mode.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
from typing import Any

# Containers at once (worker processes, each with its own import of the handler and its own
# client: the template's reserved concurrency per function is at least this), and requests per
# caller, interleaved: a lost or doubled write under concurrency shows in 64 as in 128.
CONTAINERS = 4
REQUESTS = 32  # per caller
SUBJECTS = ("alice", "bob")

# How the worker processes start: forked from a server process that has imported the
# third-party packages every container loads (botocore, Powertools), not each a fresh
# interpreter importing them again (spawn: about 1.5 s of CPU a worker). Still one process per
# container, each importing the function's handler and making its client itself
# (start_container); what they share is the packages' code, as warm copies of one image do. Not
# plain fork: the test process runs moto's server threads, which a fork would copy mid-flight.
WORKERS = multiprocessing.get_context("forkserver")
WORKERS.set_forkserver_preload(["botocore.session", "botocore.client", "aws_lambda_powertools"])


# The function a worker process runs, set by start_container.
_function: dict[str, Any] = {}


def start_container(endpoint: str, table: str, handler_module: str, event: str) -> None:
    """A worker process's initializer: one Lambda container of the function whose handler is
    `handler_module`, with its own import of it and its own client, configured through the
    environment as Lambda would; `event` names the function's event fixture."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    from calculator.shared.history import TABLE_NAME_ENV, HistoryStore

    os.environ[TABLE_NAME_ENV] = table
    from lambda_devkit.testing.aws import patient_clients

    module = importlib.import_module(handler_module)
    # Its store behind patient clients: eight containers and moto on a busy machine may wait
    # seconds for a write, which the time budget would answer 503. What is under test is that
    # each write lands once, in its caller's partition, not how fast.
    setattr(module, "store", HistoryStore(patient_clients(endpoint), table))  # noqa: B010
    _function.update(handler=module.handler, event=event)


def invoke(request: tuple[str, str, int, str]) -> tuple[int, Any]:
    """In a worker: `(subject, request id, time epoch in ms, body)` sent to the function as that
    caller; its (status, body)."""
    from lambda_devkit.testing.context import fake_lambda_context
    from lambda_devkit.testing.events import as_caller, load_event

    subject, request_id, time_epoch, body = request
    event = as_caller(load_event(_function["event"], body=body), subject)
    event["requestContext"]["requestId"] = request_id
    event["requestContext"]["timeEpoch"] = time_epoch
    response = _function["handler"](event, fake_lambda_context())
    return response["statusCode"], json.loads(response["body"])
