"""SnapStart: copies restored from one snapshot are independent, through the runtime's hooks.

A snapshot is simulated by `os.fork()` after init: each child starts from the same memory,
as each execution environment Lambda restores from one snapshot does. The hooks run through
the runtime interface client's own runner (awslambdaric), in the order Lambda runs them:
before-snapshot hooks once in the parent, after-restore hooks in every copy.
"""

from __future__ import annotations

import http.client
import os
import random
import threading
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# awslambdaric brings it (and has no stubs).
import snapshot_restore_py  # type: ignore[import-untyped]  # pants: no-infer-dep
from awslambdaric import lambda_runtime_hooks_runner

from calculator.shared.arithmetic import Operation
from calculator.shared.history import TABLE_NAME_ENV, HistoryStore
from calculator.shared.models import Calculation
from lambda_devkit.testing.aws import MotoServer, create_history_table, dynamodb_client
from lambda_devkit.testing.events import CALLER


@pytest.fixture(autouse=True)
def no_hooks_registered() -> Iterator[None]:
    # The registries are the runtime's module state; each test starts and ends with none.
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()
    yield
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()


def restored_copies(copies: int, work: Callable[[], str]) -> list[str]:
    """Snapshot now; in each restored copy, run the after-restore hooks, then `work`."""
    lambda_runtime_hooks_runner.run_before_snapshot()
    snapshot = random.getstate()
    results = []
    for _ in range(copies):
        read, write = os.pipe()
        with warnings.catch_warnings():
            # moto's server threads stay in the parent; a copy only talks to them over HTTP.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the restored copy
            os.close(read)
            # CPython reseeds `random` in a forked child; a restored snapshot is not a fork.
            random.setstate(snapshot)
            try:
                lambda_runtime_hooks_runner.run_after_restore()
                output = work()
                status = 0
            except BaseException as error:  # reported to the parent, never raised in a fork
                output, status = f"{type(error).__name__}: {error}", 1
            os.write(write, output.encode())
            os._exit(status)
        os.close(write)
        with os.fdopen(read) as pipe:
            output = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, output
        results.append(output)
    return results


class KeepAliveProxy:
    """An HTTP/1.1 proxy to `upstream` that keeps client connections open, and counts them.

    moto's server closes every connection after its response, so without this no client
    would ever hold a connection across a snapshot.
    """

    def __init__(self, upstream: str) -> None:
        self.connections = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                proxy.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                connection = http.client.HTTPConnection(upstream.removeprefix("http://"))
                connection.request("POST", self.path, body=body, headers=dict(self.headers))
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in {"connection", "content-length", "server", "date"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()


def draw() -> str:
    return repr(random.random())


def test_copies_of_one_snapshot_share_random_state_unless_reseeded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the store's hooks, every copy would draw the same retry jitter...
    first, second = restored_copies(2, draw)
    assert first == second
    # ...with them (registered when the store's client is created at init), each its own.
    monkeypatch.setenv(TABLE_NAME_ENV, "unused")
    HistoryStore.from_environment()
    first, second = restored_copies(2, draw)
    assert first != second


def test_every_restored_copy_records_through_connections_of_its_own(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = create_history_table(dynamodb_client(moto_server.endpoint))
    proxy = KeepAliveProxy(moto_server.endpoint)
    monkeypatch.setenv(TABLE_NAME_ENV, table)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.endpoint)
    store = HistoryStore.from_environment()  # init: the client every copy inherits

    def record(request_id: str) -> str:
        store.record(
            CALLER,
            Calculation(
                id=request_id,
                operation=Operation.ADD,
                a=1,
                b=2,
                result=3,
                timestamp="2026-11-27T09:00:00.000+00:00",
            ),
            epoch_ms=1_795_770_000_000,
        )
        return request_id

    # A call before the snapshot leaves a pooled keep-alive connection in the client.
    record("before-snapshot")
    copies = restored_copies(3, lambda: record(f"copy-{os.getpid()}"))
    recorded = {item.id for item in store.recent(CALLER, 10).items}
    assert recorded == {"before-snapshot", *copies}
    # One connection before the snapshot, one per copy, one for the parent's query after it:
    # none of them shared a socket opened before the snapshot.
    assert proxy.connections == 1 + len(copies) + 1
