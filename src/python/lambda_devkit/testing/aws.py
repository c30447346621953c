"""AWS for tests, over the real wire protocol on loopback: moto in server mode, plus faults.

`MotoServer` (lambda_devkit.moto_server) is moto's HTTP server on 127.0.0.1; the tables on it
are the template's (`create_tables`). `FaultProxy` sits between a client and the server and
answers chosen DynamoDB operations with the errors AWS sends when it throttles, loses their
answers after the write, or holds them until the test lets them through.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from botocore.config import Config

from calculator.shared.history import TABLE_NAME_ENV, ClientFactory, HistoryStore, client_config
from lambda_devkit import moto_server, service_spec
from lambda_devkit.moto_server import FAKE_CREDENTIALS, REGION, MotoServer, create_tables
from lambda_http.budget import Timeouts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["FAKE_CREDENTIALS", "REGION", "MotoServer", "create_tables"]
_table_sets = itertools.count()


def dynamodb_client(endpoint: str, config: Config | None = None) -> DynamoDBClient:
    return moto_server.dynamodb_client(endpoint, config or client_config(PATIENT))


def dynamodb_clients(endpoint: str) -> ClientFactory:
    """What a HistoryStore makes its clients with, for `endpoint`: the time budget's timeouts,
    as in Lambda. For the tests of the budget itself, whose faults are deterministic."""
    return lambda config: dynamodb_client(endpoint, config)


# Timeouts a starved machine cannot exhaust: moto on a loaded 2-core machine can take seconds
# to answer, and a test about what a handler does with a request must not turn that into a
# 503. They bound a hang, not a speed.
PATIENT = Timeouts(connect_s=60.0, read_s=300.0)


def patient_clients(endpoint: str) -> ClientFactory:
    """Clients for `endpoint` that ignore the budget's timeouts and wait for the store: a store
    budget that CPU starvation cannot exhaust. Retries and deadlines still apply."""
    return lambda config: dynamodb_client(endpoint, client_config(PATIENT))


def fresh_tables(client: DynamoDBClient) -> dict[str, str]:
    """Every table the template declares, created afresh from its schema under names no
    earlier call used (logical id -> name): the one table fixture."""
    stage = f"test{next(_table_sets)}"
    # Not `client` itself: its timeouts are a request budget's (2 s), and the first request
    # to moto loads its DynamoDB backend, which takes longer than that on a busy machine.
    setup = moto_server.dynamodb_client(client.meta.endpoint_url)
    return create_tables(setup, service_spec.table_names(stage))


def create_history_table(client: DynamoDBClient) -> str:
    """Fresh tables; the name of the one the template gives the functions as the history
    table (the variable calculator.shared.history reads), whatever the template calls it."""
    environment = service_spec.function_environment(fresh_tables(client))
    return environment[TABLE_NAME_ENV]


def history_store(endpoint: str) -> HistoryStore:
    """A fresh table on `endpoint`, behind patient clients (see PATIENT)."""
    return HistoryStore(patient_clients(endpoint), create_history_table(dynamodb_client(endpoint)))


THROTTLED = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
    b'"message":"The level of configured provisioned throughput for the table was exceeded."}'
)
# What DynamoDB answers a request it will never accept, e.g. an empty key attribute.
INVALID = (
    b'{"__type":"com.amazon.coral.validate#ValidationException",'
    b'"message":"One or more parameter values are not valid. The AttributeValue for a key '
    b'attribute cannot contain an empty string value. Key: sk"}'
)


# The IAM action each kind of action in a transaction needs: a transaction is no action of its own.
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def iam_actions(target: str, body: bytes) -> list[str]:
    """The IAM actions a DynamoDB request (its X-Amz-Target and body) needs: its operation's,
    or for TransactWriteItems, those of the actions inside it."""
    operation = target.rpartition(".")[2]
    if operation != "TransactWriteItems":
        return [f"dynamodb:{operation}"]
    items = json.loads(body).get("TransactItems", [])
    return [f"dynamodb:{TRANSACTION_ACTIONS[kind]}" for item in items for kind in item]


class FaultProxy:
    """An HTTP proxy to `upstream`. The next `throttle` calls of `operation` are answered with
    `fault` (by default DynamoDB's throttling error); the next `drop` calls of it are forwarded
    and their answer never sent (the write lands, the client sees the connection close); while
    `hold` is set, calls of it wait for it (`arrived` says one is waiting) before going on."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.operation = "PutItem"
        self.fault = THROTTLED
        self.throttle = 0
        self.throttled = 0
        self.drop = 0
        self.dropped = 0
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        self.forwarded = 0
        # Every DynamoDB operation that reached the proxy, as IAM names it (dynamodb:PutItem).
        self.operations: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target", "")
                with proxy._lock:
                    proxy.operations += iam_actions(target, body)
                if proxy._take_fault(target):
                    self._reply(400, proxy.fault, "application/x-amz-json-1.0")
                    return
                hold = proxy.hold
                if hold is not None and target.endswith(f".{proxy.operation}"):
                    proxy.arrived.set()
                    hold.wait(PATIENT.read_s)
                connection = http.client.HTTPConnection(proxy.upstream, timeout=PATIENT.read_s)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request("POST", self.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                with proxy._lock:
                    proxy.forwarded += 1
                if proxy._take_drop(target):
                    self.close_connection = True  # the write is done; its answer is lost
                    return
                self._reply(response.status, answer, response.getheader("Content-Type"))

            def _reply(self, status: int, body: bytes, content_type: str | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        # Polled for shutdown every 50 ms, not every half second (serve_forever's default): the
        # proxy is stopped at the end of every test that uses one, and waiting is all stop does.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _take_fault(self, target: str) -> bool:
        with self._lock:
            if target.endswith(f".{self.operation}") and self.throttle > 0:
                self.throttle -= 1
                self.throttled += 1
                return True
            return False

    def _take_drop(self, target: str) -> bool:
        with self._lock:
            if target.endswith(f".{self.operation}") and self.drop > 0:
                self.drop -= 1
                self.dropped += 1
                return True
            return False

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def silent_store() -> Iterator[str]:
    """An endpoint that accepts connections and never answers: a store that has hung. Yields
    its URL; connections are held open until the end, so clients wait for their read timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # so that the accepting thread sees `done`
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join()
        listener.close()
        for connection in held:
            connection.close()
