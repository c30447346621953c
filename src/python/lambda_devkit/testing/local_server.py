"""The local server for tests: `serve` as a process of its own, a client for it, and the
emulator in process with a handler a test can hold mid-request."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lambda_devkit import service_spec
from lambda_devkit.emulator.container import Result
from lambda_devkit.local.service import LocalService

# What the tests of the tools run when any function will do: the template's first, and its zip.
FUNCTION = service_spec.functions()[0]
FUNCTION_ZIP = FUNCTION.artifact
# Every route the template deploys, and one of them that takes a body (POST, PUT or PATCH)
# where there is one: the stand-in functions (lambda_devkit.testing.dist) answer any request.
ROUTES = sorted({route for f in service_spec.functions() for route in f.routes})
BODY_ROUTE = next((r for r in ROUTES if r.method in {"POST", "PUT", "PATCH"}), ROUTES[0])
# The serve/invoke CLI, run as its own process with this interpreter and import path.
LAUNCH = "import sys; from lambda_devkit.local.main import main; sys.argv[0] = 'local'; main()"
# A placeholder in raw requests (bytes written before a server exists) for its bearer token.
TOKEN = "<TOKEN>"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
# The subject of the token a request carries when a test names no caller.
DEFAULT_CALLER = "local-user"
# Route throttling high enough that no functional test meets it (the template's default, 10/s
# with a burst of 20 per route, would answer hypothesis' rapid requests 429).
UNTHROTTLED = ("--throttle-rate", "100000", "--throttle-burst", "100000")
# How long a test waits for a server, a request or a process before it calls it stuck. Generous
# on purpose: this bounds a hang, never a speed; a starved machine may take long to answer.
PATIENCE_S = 300.0
# Where serve and invoke send the functions' store calls when the functions are stand-ins
# (lambda_devkit.testing.dist.PROBE), which make none: an endpoint nothing listens on, instead
# of the embedded moto server serve and invoke start by default, which costs every start seconds
# of imports and table creation and every stop a server shutdown. The embedded server is
# exercised where a function uses it or where it must go with serve: the service's own zips
# under serve (tests/calculator/packaged/test_served.py) and serve's stops (test_lifecycle.py).
STORELESS = ("--aws-endpoint", "http://127.0.0.1:9")
# How often a client sends again a request answered 503 with Retry-After. The functions keep the
# template's per-attempt store timeouts (2 s, three attempts), which a starved moto can exhaust:
# the answer is then right, and a client does what it says. The 503 paths themselves are
# tested with deterministic faults (test_routing.py, test_throttling.py).
RETRIES_AFTER_503 = 5


def with_handler(zip_bytes: bytes, source: str) -> bytes:
    """The function zip rebuilt with `source` as its lambda_function.py."""
    rebuilt = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(zip_bytes)) as original,
        zipfile.ZipFile(rebuilt, "w") as target,
    ):
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "lambda_function.py":
                data = source.encode()
            target.writestr(info, data)
    return rebuilt.getvalue()


def cli(buildroot: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCH, "--buildroot", str(buildroot), *args]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=PATIENCE_S) as response:
        return json.loads(response.read())


def mint(issuer: str, sub: str = DEFAULT_CALLER, **fields: Any) -> str:
    """A token from a running serve's issuer (its token endpoint, as `token` uses it)."""
    request = urllib.request.Request(
        issuer + "/token",
        data=json.dumps({"sub": sub, **fields}).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=PATIENCE_S) as response:
        return str(json.loads(response.read())["access_token"])


@dataclass
class Server:
    """A running `serve`: its process, its API's URL and its issuer's, and what it has printed
    on stderr so far (read as it comes, so that serve never blocks on a full pipe)."""

    process: subprocess.Popen[str]
    url: str
    issuer: str
    tokens: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def read_log(self) -> None:
        assert self.process.stderr is not None
        self.log.extend(self.process.stderr)

    def token(self, sub: str = DEFAULT_CALLER) -> str:
        if sub not in self.tokens:
            self.tokens[sub] = mint(self.issuer, sub)
        return self.tokens[sub]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        caller: str | None = DEFAULT_CALLER,
        authorization: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One request with `caller`'s token, or `authorization` as is, or (both None) none."""
        data = (
            None
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        headers = {"content-type": "application/json"} if data is not None else {}
        if authorization is None and caller is not None:
            authorization = f"Bearer {self.token(caller)}"
        if authorization is not None:
            headers["authorization"] = authorization
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        for _ in range(RETRIES_AFTER_503):
            try:
                with urllib.request.urlopen(request, timeout=PATIENCE_S) as response:
                    return response.status, dict(response.headers), json.loads(response.read())
            except urllib.error.HTTPError as error:
                answer = error.code, dict(error.headers), json.loads(error.read())
            if not retry_after_503(answer[0], answer[1]):
                break
        return answer

    def raw_request(self, data: bytes) -> tuple[int, dict[str, str], bytes]:
        """Sends `data` as is (no client library fixing it up) and reads one response."""
        url = urlsplit(self.url)
        address = (url.hostname or "", url.port or 80)
        for _ in range(RETRIES_AFTER_503):
            with socket.create_connection(address, timeout=PATIENCE_S) as connection:
                connection.sendall(data.replace(TOKEN.encode(), self.token().encode()))
                method = data.split(b" ", 1)[0].decode()
                response = http.client.HTTPResponse(connection, method=method)
                response.begin()
                headers = {k.lower(): v for k, v in response.getheaders()}
                answer = response.status, headers, response.read()
            if not retry_after_503(answer[0], answer[1]):
                break
        return answer

    def descendants(self) -> set[int]:
        return descendants(self.process.pid)


def retry_after_503(status: int, headers: dict[str, str]) -> bool:
    """Whether the answer asks the client to come back (and the client has waited to)."""
    wait = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if status != 503 or wait is None:
        return False
    time.sleep(float(wait))
    return True


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from each process's parent in /proc/*/stat.

    Not from /proc/PID/task/*/children: those list a thread's own children, and a child whose
    thread is exiting (serve's request thread, which started a container) can be in no list
    for a moment. A process's parent in its stat is the parent process, whichever thread forked
    it."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = set(), [pid]
    while frontier:
        for child in parents.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def start(
    buildroot: Path,
    serve: tuple[str, ...] = UNTHROTTLED,
    timeout_s: float = PATIENCE_S,
    aws: tuple[str, ...] = (),
) -> Server:
    """`serve` on ephemeral ports, once it has printed its two banner lines. No deadline: the
    banner comes when it comes. Functions get `timeout_s` (not the template's 10 s, which eight
    cold starts at once on a starved machine can spend before the handler runs). `aws`: serve's
    AWS options (none: its embedded moto server; STORELESS for stand-in functions)."""
    process = subprocess.Popen(
        cli(
            buildroot,
            *("--timeout", str(timeout_s)),
            *aws,
            *("serve", "--port", "0", "--issuer-port", "0", *serve),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert process.stdout is not None
    issuer = process.stdout.readline()  # "Issuer http://127.0.0.1:<port>, audience ..."
    banner = process.stdout.readline()  # "Serving ... on http://127.0.0.1:<port>"
    assert banner.startswith("Serving"), (
        issuer + banner + (process.stderr.read() if process.stderr else "")
    )
    assert issuer.startswith("Issuer "), issuer
    server = Server(process, banner.split(" on ")[-1].strip(), issuer.split()[1].rstrip(","))
    server._reader = threading.Thread(target=server.read_log, daemon=True)
    server._reader.start()
    return server


@contextmanager
def serving(buildroot: Path, aws: tuple[str, ...] = ()) -> Iterator[Server]:
    """`start`, and `stop` at the end unless the server has already exited: a test file's one
    `serve` (starting one costs seconds, a request milliseconds)."""
    running = start(buildroot, aws=aws)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


def stop(server: Server) -> tuple[int, set[int]]:
    """SIGTERM to `serve`; its exit code and the processes it had below it. Its stderr is then
    all in `server.log`."""
    children = server.descendants()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=PATIENCE_S)
    if server._reader is not None:
        server._reader.join(timeout=PATIENCE_S)
    return code, children


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Polls `condition` until it holds; PATIENCE_S bounds a hang, not a speed."""
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


# A handler that records it started (a file named for its process) and then holds its
# invocation until the test creates "release" in the event's `gate` directory.
GATED_HANDLER = """
import json, os, pathlib, time

def handler(event, context):
    gate = event.get("gate")
    if gate:
        pathlib.Path(gate, f"started-{os.getpid()}").touch()
        while not pathlib.Path(gate, "release").exists():
            time.sleep(0.01)
    return {"statusCode": 200, "body": json.dumps({"build": BUILD, "pid": os.getpid()})}
"""


def gated(build: str) -> str:
    return f"BUILD = {build!r}\n{GATED_HANDLER}"


@dataclass
class Emulator:
    """FUNCTION's containers in process, running a gated handler named `build`."""

    service: LocalService
    zip_path: Path
    original: bytes
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4))

    def build(self, name: str) -> None:
        self.zip_path.write_bytes(with_handler(self.original, gated(name)))

    def invoke(self, gate: Path | None = None) -> Result:
        event = {"gate": str(gate)} if gate else {}
        return self.service.invoke(self.service.functions[FUNCTION.name], event)

    def invoke_in_background(self, gate: Path) -> Future[Result]:
        return self.pool.submit(self.invoke, gate)


def answer_of(result: Result) -> dict[str, Any]:
    assert result.error is None, (result.error, result.logs)
    return dict(json.loads(result.payload["body"]))


def listening(url: str) -> bool:
    """Whether anything accepts connections at `url`'s host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=PATIENCE_S):
            return True
    except ConnectionRefusedError:
        return False
