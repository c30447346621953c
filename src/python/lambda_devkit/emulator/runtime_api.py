"""A local Lambda Runtime API (2018-06-01) for one execution environment, on 127.0.0.1.

The runtime interface client in the sandbox long-polls `invocation/next`, runs the handler,
and posts the result to `invocation/<id>/response` or `/error`, exactly as it does against
Lambda. https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import uuid
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
# How the outcome of an invocation is reported: ("response" | "error" | "exit", body).
Outcome = tuple[str, bytes]


@dataclass
class Invocation:
    event: bytes
    deadline_ms: int
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    outcome: Future[Outcome] = field(default_factory=Future)


class RuntimeApi:
    """Serves the Runtime API for one container; `submit` hands it an invocation."""

    def __init__(self, function_arn: str) -> None:
        self.function_arn = function_arn
        # None is the sentinel `close` sends to a poller still waiting for an event.
        self._pending: queue.Queue[Invocation | None] = queue.Queue()
        self._in_flight: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self.first_poll = threading.Event()
        self.init_error: bytes | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404, {"errorMessage": f"unknown path {self.path}"})
                    return
                api.first_poll.set()
                invocation = api._pending.get()
                if invocation is None:  # the container is going away
                    self.close_connection = True
                    return
                with api._lock:
                    api._in_flight[invocation.request_id] = invocation
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", api.function_arn)
                self.send_header("Lambda-Runtime-Trace-Id", f"Root=1-{uuid.uuid4().hex[:24]}")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(invocation.event)))
                self.end_headers()
                self.wfile.write(invocation.event)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = body
                    self._reply(202, {"status": "OK"})
                    return
                parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
                with api._lock:
                    invocation = api._in_flight.pop(parts[0], None) if len(parts) == 2 else None
                if invocation is None or parts[1] not in {"response", "error"}:
                    self._reply(400, {"errorMessage": f"unknown invocation {self.path}"})
                    return
                api._settle(invocation, (parts[1], body))
                self._reply(202, {"status": "OK"})

            def _reply(self, status: int, document: dict[str, Any]) -> None:
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Request threads are joined on close (none may outlive the container): each ends when
        # the runtime's connection closes, and a waiting poller is woken by the sentinel.
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        # Polled for shutdown every 50 ms, not serve_forever's half second: each container's
        # stop waits for it.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @staticmethod
    def _settle(invocation: Invocation, outcome: Outcome) -> None:
        # The runtime's answer and its exit can race: the first one settles the invocation.
        with contextlib.suppress(InvalidStateError):
            invocation.outcome.set_result(outcome)

    def submit(self, event: bytes, timeout_s: float) -> Invocation:
        invocation = Invocation(event, int((time.time() + timeout_s) * 1000))
        self._pending.put(invocation)
        return invocation

    def runtime_exited(self, reason: str) -> None:
        """The runtime process is gone: what it was running, or was about to, fails at once,
        as Lambda reports it (`Runtime.ExitError`)."""
        with self._lock:
            stranded = list(self._in_flight.values())
            self._in_flight.clear()
        while True:
            try:
                waiting = self._pending.get_nowait()
            except queue.Empty:
                break
            if waiting is not None:
                stranded.append(waiting)
        for invocation in stranded:
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": (
                    f"RequestId: {invocation.request_id} Error: Runtime exited with error: {reason}"
                ),
            }
            self._settle(invocation, ("exit", json.dumps(error).encode()))

    def close(self) -> None:
        self._pending.put(None)
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
