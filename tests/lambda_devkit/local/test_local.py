"""The packaged zips run locally (awslambdaric, moto): `serve` with its JWT authorizer, local
issuer and throttling, `token`, `invoke`, and the time budget."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
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
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.service import test_concurrency as concurrency
from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.container import Result
from lambda_devkit.emulator.http_api import to_response
from lambda_devkit.local.gateway import Throttling, route_throttling
from lambda_devkit.local.issuer import AUDIENCE
from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.testing.answers import API_GATEWAY, Answer, load
from lambda_devkit.testing.aws import silent_store

ADD_ZIP = service_spec.function("add").artifact
EVENTS = service_spec.EVENTS_DIR
FUNCTIONS = [f.name for f in service_spec.functions()]
# Functions that touch the table, which a hung store holds up.
TABLE_FUNCTIONS = [f.name for f in service_spec.functions() if f.table_actions]
# What the service answers, request by request (also rendered into docs/api.md).
ANSWERS = load(Path("tests/calculator/answers.toml"))
# The serve/invoke CLI, run as its own process with this interpreter and import path.
LAUNCH = "import sys; from lambda_devkit.local.main import main; sys.argv[0] = 'local'; main()"


def lay_out_dist(root: Path) -> Path:
    """What Pants built, laid out as dist/ under a build root, free to rebuild."""
    for artifact in sam.artifacts(sam.load()):
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifact.built.read_bytes())
    return root


@pytest.fixture(scope="module")
def buildroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lay_out_dist(tmp_path_factory.mktemp("buildroot"))


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


# A placeholder in raw requests (bytes written before a server exists) for its bearer token.
TOKEN = "<TOKEN>"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
# The subject of the token a request carries when a test names no caller.
DEFAULT_CALLER = "local-user"


def mint(issuer: str, sub: str = DEFAULT_CALLER, **fields: Any) -> str:
    """A token from a running serve's issuer (its token endpoint, as `token` uses it)."""
    request = urllib.request.Request(
        issuer + "/token",
        data=json.dumps({"sub": sub, **fields}).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())["access_token"])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    issuer: str
    tokens: dict[str, str] = field(default_factory=dict)

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
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())

    def descendants(self) -> set[int]:
        found, frontier = set(), [self.process.pid]
        while frontier:
            pid = frontier.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                children = (
                    (task / "children").read_text().split() if (task / "children").exists() else []
                )
                for child in map(int, children):
                    if child not in found:
                        found.add(child)
                        frontier.append(child)
        return found


# Route throttling high enough that no functional test meets it (the template's default, 10/s
# with a burst of 20 per route, would answer hypothesis' rapid requests 429).
UNTHROTTLED = ("--throttle-rate", "100000", "--throttle-burst", "100000")


def start(buildroot: Path, *args: str, serve: tuple[str, ...] = UNTHROTTLED) -> Server:
    process = subprocess.Popen(
        cli(buildroot, *args, "serve", "--port", "0", "--issuer-port", "0", *serve),
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
    return Server(process, banner.split(" on ")[-1].strip(), issuer.split()[1].rstrip(","))


def stop(server: Server) -> tuple[int, set[int]]:
    children = server.descendants()
    server.process.send_signal(signal.SIGTERM)
    return server.process.wait(timeout=30), children


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


@pytest.fixture(scope="module")
def server(buildroot: Path) -> Iterator[Server]:
    running = start(buildroot)
    yield running
    if running.process.poll() is None:
        stop(running)


def test_every_route_answers_and_history_reflects_the_calls(server: Server) -> None:
    status, headers, body = server.request("POST", "/add", {"a": 0.1, "b": 0.2})
    assert (status, body["result"], headers["content-type"]) == (200, 0.3, "application/json")
    added = body["id"]
    status, _, body = server.request(
        "POST", "/multiply", {"a": 123456789012345678901234567890, "b": 3}
    )
    assert (status, body["result"]) == (200, 370370367037037036703703703670)
    multiplied = body["id"]
    status, _, body = server.request("GET", "/history?limit=2")
    assert status == 200
    assert [item["id"] for item in body["items"]] == [multiplied, added]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/add", {"a": True, "b": 1}, 400),
        ("POST", "/multiply", b"{not json", 400),
        ("POST", "/add", {"a": 1}, 400),
        ("GET", "/history?limit=1000", None, 400),
        ("GET", "/add", None, 404),  # an HTTP API has no such route
        ("GET", "/nothing", None, 404),
    ],
)
def test_bad_requests_get_4xx_json(
    server: Server, method: str, path: str, body: Any, status: int
) -> None:
    answered, headers, document = server.request(method, path, body)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert document.get("message")


@pytest.mark.parametrize(
    "row", ANSWERS, ids=lambda row: f"{row.method} {row.target} {row.content_type}"
)
def test_each_documented_answer_is_what_the_local_server_answers(
    server: Server, row: Answer
) -> None:
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=60)
    # http.client adds no Content-Type of its own (urllib would add a form type).
    headers = {"Authorization": f"Bearer {server.token()}"}
    if row.content_type is not None:
        headers["Content-Type"] = row.content_type
    connection.request(row.method, row.target, body=row.body, headers=headers)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert response.status == row.status, document
    assert response.getheader("content-type") == "application/json"
    if row.answered_by == API_GATEWAY:
        assert document == {"message": HTTPStatus(row.status).phrase}
    elif row.field is not None:
        assert document["errors"][0]["field"] == row.field, document
    else:
        assert "result" in document


def test_a_rebuilt_zip_is_served_without_restart(server: Server, buildroot: Path) -> None:
    assert server.request("POST", "/add", {"a": 1, "b": 1})[0] == 200
    zip_path = buildroot / ADD_ZIP
    original = zip_path.read_bytes()
    teapot = "def handler(event, context):\n    return {'statusCode': 418, 'body': '{}'}\n"
    try:
        zip_path.write_bytes(with_handler(original, teapot))
        assert server.request("POST", "/add", {"a": 1, "b": 1})[0] == 418
    finally:
        zip_path.write_bytes(original)
    assert server.request("POST", "/add", {"a": 1, "b": 1})[0] == 200


def test_a_function_past_its_timeout_is_stopped_and_answered_500(tmp_path: Path) -> None:
    # A handler that cannot finish in time: the real one may answer within any timeout (a 503
    # when its time budget leaves no room for the store), so it cannot stand in for one that
    # overruns.
    buildroot = lay_out_dist(tmp_path)
    zip_path = buildroot / ADD_ZIP
    # Were the timeout not enforced, it would answer 200 after 20 s.
    sleeper = (
        "import time\n\n\ndef handler(event, context):\n"
        "    time.sleep(20)\n    return {'statusCode': 200, 'body': '{}'}\n"
    )
    zip_path.write_bytes(with_handler(zip_path.read_bytes(), sleeper))
    slow = start(buildroot, "--timeout", "1")
    try:
        status, _, body = slow.request("POST", "/add", {"a": 1, "b": 2})
        # An HTTP API's answer to a function error, a timeout included.
        assert (status, body) == (500, {"message": "Internal Server Error"})
    finally:
        code, children = stop(slow)
    assert code == 0
    assert not [pid for pid in children if alive(pid)]


def test_shutdown_is_clean_and_leaves_no_process(buildroot: Path) -> None:
    running = start(buildroot)
    assert running.request("POST", "/add", {"a": 1, "b": 2})[0] == 200
    code, children = stop(running)
    assert children, "a warm container should have been running"
    assert code == 0
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]


def test_invoke_prints_the_response_logs_and_timings(buildroot: Path) -> None:
    event = Path("tests/events/add.json").read_text()
    completed = subprocess.run(
        cli(buildroot, "invoke", "add", "--event", "-"),
        input=event,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    response = json.loads(completed.stdout)
    assert response["statusCode"] == 200
    assert "REPORT init" in completed.stderr


# A store that accepts connections and never answers: each function still answers itself,
# 503 + Retry-After, before the template's timeout (past which the emulator, like Lambda,
# kills the invocation and reports Sandbox.Timedout).


@pytest.fixture(scope="module")
def hung_service(buildroot: Path) -> Iterator[LocalService]:
    with silent_store() as endpoint:
        service = LocalService(buildroot, aws_environment(endpoint))
        yield service
        service.close()


def test_the_emulator_holds_functions_to_the_templates_timeout(
    hung_service: LocalService,
) -> None:
    timeout = sam.load()["Globals"]["Function"]["Timeout"]
    assert hung_service.timeout_s == float(timeout)


def test_the_emulator_runs_as_many_containers_as_the_template_reserves(
    hung_service: LocalService,
) -> None:
    reserved = int(sam.load()["Parameters"]["ReservedConcurrency"]["Default"])
    assert reserved > 0
    assert {f.name: f.concurrency for f in hung_service.functions.values()} == dict.fromkeys(
        FUNCTIONS, reserved
    )


@pytest.mark.parametrize("name", TABLE_FUNCTIONS)
def test_a_hung_store_is_a_503_with_retry_after_before_the_timeout(
    hung_service: LocalService, name: str
) -> None:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    result = hung_service.invoke(hung_service.functions[name], event)
    print(f"{name}: answered after {result.duration_ms:.0f} ms of {hung_service.timeout_s:.0f} s")
    assert not result.timed_out, result.logs
    assert result.error is None, result.error
    assert result.payload["statusCode"] == 503, result.payload
    assert result.payload["headers"]["Retry-After"] == "1"
    assert "nothing was recorded" in json.loads(result.payload["body"])["message"]


# --- The HTTP front door: every method and every body answered in JSON, never a dropped
# connection.


def raw_request(server: Server, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends `data` as is (no client library fixing it up) and reads one response."""
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port or 80), timeout=60) as connection:
        connection.sendall(data.replace(TOKEN.encode(), server.token().encode()))
        response = http.client.HTTPResponse(connection, method=data.split(b" ", 1)[0].decode())
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def post(path: str, headers: dict[str, str], body: bytes) -> bytes:
    """A POST with the server's token (raw_request fills it in) and `headers`."""
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        *(f"{k}: {v}" for k, v in {**AUTHORIZED, **headers}.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


JSON = {"Content-Type": "application/json"}
OPERANDS = b'{"a": 1, "b": 2}'
ELEVEN_MB = str(11 * 1024 * 1024)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        # curl -d '{"a":1,"b":2}' localhost:3000/add: no -H, so curl's form content type.
        (
            post(
                "/add",
                {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "13"},
                b'{"a":1,"b":2}',
            ),
            415,
        ),
        (post("/add", {**JSON, "Content-Length": "16"}, OPERANDS), 200),
        (post("/add", {"Content-Length": "16"}, OPERANDS), 200),  # no content type: JSON
        (
            post(
                "/add",
                {**JSON, "Transfer-Encoding": "chunked"},
                b"10\r\n" + OPERANDS + b"\r\n0\r\n\r\n",
            ),
            200,
        ),
        (post("/add", {**JSON, "Content-Length": "0"}, b""), 400),
        (post("/add", {**JSON, "Content-Length": "4"}, b"\x80\x81\xfe\xff"), 400),  # not UTF-8
        (
            post(
                "/add",
                {"Content-Type": "application/octet-stream", "Content-Length": "4"},
                b"\x00\x01\x02\x03",
            ),
            415,
        ),
        (post("/add", {**JSON, "Content-Length": "-1"}, b""), 400),
        (post("/add", {**JSON, "Content-Length": "ten"}, b""), 400),
        (post("/add", {**JSON, "Content-Length": "16", "content-length": "17"}, OPERANDS), 400),
        (post("/add", {**JSON, "Transfer-Encoding": "chunked"}, b"zz\r\n"), 400),
        (post("/add", {**JSON, "Content-Length": ELEVEN_MB}, b""), 413),  # refused unread
        (
            post(
                "/add",
                {**JSON, "Transfer-Encoding": "chunked"},
                f"{11 * 1024 * 1024:x}\r\n".encode(),
            ),
            413,
        ),
        (post("/nothing", {**JSON, "Content-Length": "16"}, OPERANDS), 404),
        (b"TRACE /add HTTP/1.1\r\nHost: localhost\r\n\r\n", 404),
        (b"OPTIONS /history HTTP/1.1\r\nHost: localhost\r\n\r\n", 404),
        (b"PROPFIND /history HTTP/1.1\r\nHost: localhost\r\n\r\n", 404),
        (b"DELETE /add HTTP/1.1\r\nHost: localhost\r\n\r\n", 404),
        (b"BREW /add HTTP/1.1 extra\r\n\r\n", 400),  # a malformed request line
    ],
    ids=[
        "curl-default-form",
        "json",
        "no-content-type",
        "chunked",
        "empty",
        "not-utf-8",
        "binary",
        "negative-length",
        "non-numeric-length",
        "conflicting-lengths",
        "bad-chunk",
        "over-10-mb",
        "chunked-over-10-mb",
        "unrouted-path",
        "trace",
        "options",
        "propfind",
        "delete",
        "malformed-request-line",
    ],
)
def test_every_method_and_body_gets_a_json_answer(
    server: Server, request_bytes: bytes, status: int
) -> None:
    answered, headers, body = raw_request(server, request_bytes)
    assert answered == status, body
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["result"] == 3 if status == 200 else document["message"]
    if status == 415:
        assert "Content-Type: application/json" in document["errors"][0]["problem"]


def test_head_is_answered_with_headers_only(server: Server) -> None:
    status, headers, body = raw_request(server, b"HEAD /add HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert (status, headers["content-type"], body) == (404, "application/json", b"")
    assert int(headers["content-length"]) == len(b'{"message":"Not Found"}')


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    """Any method, path, content type, framing and body, as bytes on the wire."""
    method = draw(
        st.sampled_from(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "BREW"])
    )
    path = draw(
        st.sampled_from(["/add", "/multiply", "/history", "/history?limit=x", "/", "/add/"])
    )
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
    authorization = draw(
        st.sampled_from(
            [f"Bearer {TOKEN}", TOKEN, "Bearer", "Bearer not.a.jwt", "Basic eDp5", None]
        )
    )
    if authorization is not None:
        lines.append(f"Authorization: {authorization}")
    content_type = draw(
        st.sampled_from([None, "application/json", "text/plain", "application/octet-stream"])
    )
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    body = draw(st.one_of(st.binary(max_size=64), st.just(b'{"a": 1, "b": 2}')))
    framing = draw(st.sampled_from(["length", "chunked", "none"]))
    if framing == "length":
        lines.append(f"Content-Length: {len(body)}")
    elif framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        body = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    else:
        body = b""
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@settings(max_examples=150, deadline=None)
@given(request_bytes=raw_requests())
def test_any_request_gets_a_json_answer_and_never_a_5xx(
    server: Server, request_bytes: bytes
) -> None:
    status, headers, body = raw_request(server, request_bytes)
    assert status < 500, (status, body)
    assert headers["content-type"] == "application/json"
    if not request_bytes.startswith(b"HEAD "):
        assert json.loads(body)


# --- The emulator's containers, in process: rebuilds, crashes, concurrency, leaks.

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


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


@dataclass
class Emulator:
    service: LocalService
    zip_path: Path
    original: bytes

    def build(self, name: str) -> None:
        self.zip_path.write_bytes(with_handler(self.original, gated(name)))

    def invoke(self, gate: Path | None = None) -> Result:
        event = {"gate": str(gate)} if gate else {}
        return self.service.invoke(self.service.functions["add"], event)

    def invoke_in_background(self, gate: Path) -> Future[Result]:
        return self.pool.submit(self.invoke, gate)

    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4))


def answer_of(result: Result) -> dict[str, Any]:
    assert result.error is None, (result.error, result.logs)
    return dict(json.loads(result.payload["body"]))


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    root = lay_out_dist(tmp_path / "buildroot")
    zip_path = root / ADD_ZIP
    running = Emulator(
        LocalService(root, aws_environment("http://127.0.0.1:9")), zip_path, zip_path.read_bytes()
    )
    running.build("first")
    yield running
    running.pool.shutdown(wait=False, cancel_futures=True)
    running.service.close()


def test_a_rebuild_mid_request_lets_the_request_finish(emulator: Emulator, tmp_path: Path) -> None:
    in_flight = emulator.invoke_in_background(tmp_path)
    wait_for(lambda: list(tmp_path.glob("started-*")), "the first request to start")
    emulator.build("second")
    assert answer_of(emulator.invoke())["build"] == "second"  # the next request: new code
    (tmp_path / "release").touch()
    finished = in_flight.result(timeout=60)
    assert not finished.timed_out
    assert answer_of(finished)["build"] == "first"  # completed on the build it started on


def test_a_runtime_killed_mid_request_fails_it_at_once_as_lambda_does(
    emulator: Emulator, tmp_path: Path
) -> None:
    in_flight = emulator.invoke_in_background(tmp_path)
    wait_for(lambda: list(tmp_path.glob("started-*")), "the request to start")
    (pid,) = emulator.service.container_pids()
    os.kill(pid, signal.SIGKILL)
    result = in_flight.result(timeout=60)
    # Never released: only noticing the exit can answer it before the timeout.
    assert not result.timed_out
    assert result.error is not None
    assert result.error["errorType"] == "Runtime.ExitError"
    assert result.error["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert to_response(result) == (
        500,
        {"content-type": "application/json"},
        b'{"message":"Internal Server Error"}',
    )
    assert answer_of(emulator.invoke())["build"] == "first"  # a fresh container serves the next


def test_concurrent_requests_are_served_by_more_than_one_warm_container(
    emulator: Emulator, tmp_path: Path
) -> None:
    both = [emulator.invoke_in_background(tmp_path) for _ in range(2)]
    # Both held at once: only two containers can be running them.
    wait_for(lambda: len(list(tmp_path.glob("started-*"))) == 2, "two requests in flight")
    (tmp_path / "release").touch()
    pids = {answer_of(future.result(timeout=60))["pid"] for future in both}
    assert len(pids) == 2
    assert set(emulator.service.container_pids()) == pids  # both stay warm


def test_beyond_its_concurrency_a_function_is_throttled_503(
    emulator: Emulator, tmp_path: Path
) -> None:
    functions = emulator.service.functions
    functions["add"] = dataclasses.replace(functions["add"], concurrency=1)
    in_flight = emulator.invoke_in_background(tmp_path)
    wait_for(lambda: list(tmp_path.glob("started-*")), "the request to start")
    throttled = emulator.invoke()
    assert throttled.throttled
    assert to_response(throttled) == (
        503,
        {"content-type": "application/json"},
        b'{"message":"Service Unavailable"}',
    )
    (tmp_path / "release").touch()
    assert answer_of(in_flight.result(timeout=60))["build"] == "first"


def open_handles() -> Counter[str]:
    """This process's sockets and pipes, by kind, from /proc/self/fd."""
    kinds: Counter[str] = Counter()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            target = os.readlink(fd)
            kinds[target.split(":")[0]] += target.startswith(("socket:", "pipe:"))
    return +kinds


def test_twenty_rebuilds_leak_no_thread_socket_or_pipe(emulator: Emulator) -> None:
    assert answer_of(emulator.invoke())["build"] == "first"
    threads, handles = threading.active_count(), open_handles()
    for n in range(20):
        emulator.build(f"rebuild-{n}")
        assert answer_of(emulator.invoke())["build"] == f"rebuild-{n}"
    print(f"threads {threads} -> {threading.active_count()}, handles {handles} -> {open_handles()}")
    assert threading.active_count() == threads
    assert open_handles() == handles
    assert len(emulator.service.container_pids()) == 1
    # Old builds' unpacked files go with their last container.
    assert len(list((emulator.service.scratch / "add").iterdir())) == 1


# --- The HTTP API's JWT authorizer, its local issuer, and route throttling.

UNAUTHORIZED_BODY = {"message": "Unauthorized"}
HOUR = 3600


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey | None, kid: str | None) -> str:
    """A token signed by `key` (None: `alg: none`, an empty signature)."""
    headers = {} if kid is None else {"kid": kid}
    if key is not None:
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)
    segments = [{"alg": "none", "typ": "JWT", **headers}, claims]
    encoded = [
        base64.urlsafe_b64encode(json.dumps(s).encode()).rstrip(b"=").decode() for s in segments
    ]
    return ".".join(encoded) + "."


def valid_claims(server: Server) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": server.issuer, "sub": "mallory", "aud": AUDIENCE, "iat": now, "exp": now + HOUR}


def issuer_kid(server: Server) -> str:
    with urllib.request.urlopen(server.issuer + "/.well-known/jwks.json", timeout=60) as response:
        return str(json.loads(response.read())["keys"][0]["kid"])


def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def tampered(token: str) -> str:
    """`token` with its payload changed after signing (another subject)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# Every route of the template: a route added without the authorizer fails the cases below.
ROUTES = sorted(
    f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
    for resource in sam.load()["Resources"].values()
    if resource["Type"] == "AWS::Serverless::Function"
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "HttpApi"
)


# Each case: the Authorization header a client sends, made from the running server.
REFUSED: dict[str, Any] = {
    "no-token": lambda s: None,
    "empty": lambda s: "",
    "bearer-only": lambda s: "Bearer ",
    "not-a-jwt": lambda s: "Bearer not.a.jwt",
    "basic-scheme": lambda s: "Basic dXNlcjpwYXNz",
    "expired": lambda s: "Bearer " + mint(s.issuer, claims={"exp": int(time.time()) - 60}),
    "not-yet-valid": lambda s: "Bearer " + mint(s.issuer, claims={"nbf": int(time.time()) + HOUR}),
    "issued-in-the-future": lambda s: (
        "Bearer " + mint(s.issuer, claims={"iat": int(time.time()) + HOUR})
    ),
    "wrong-issuer": lambda s: "Bearer " + mint(s.issuer, claims={"iss": "https://elsewhere"}),
    "wrong-audience": lambda s: "Bearer " + mint(s.issuer, claims={"aud": "another-api"}),
    "no-audience": lambda s: "Bearer " + mint(s.issuer, claims={"aud": None}),
    "no-expiry": lambda s: "Bearer " + mint(s.issuer, claims={"exp": None}),
    "bad-signature": lambda s: "Bearer " + tampered(s.token()),
    "alg-none": lambda s: "Bearer " + sign(valid_claims(s), None, issuer_kid(s)),
    "another-key-same-kid": lambda s: "Bearer " + sign(valid_claims(s), other_key(), issuer_kid(s)),
    "another-key-own-kid": lambda s: "Bearer " + sign(valid_claims(s), other_key(), "mine"),
    "no-kid": lambda s: "Bearer " + sign(valid_claims(s), other_key(), None),
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_route_refuses_a_request_without_a_valid_token_as_api_gateway_does(
    server: Server, route: str, case: str
) -> None:
    method, path = route.split()
    authorization = REFUSED[case](server)
    body = {"a": 1, "b": 2} if method == "POST" else None
    status, headers, document = server.request(
        method, path, body, caller=None, authorization=authorization
    )
    assert (status, document) == (401, UNAUTHORIZED_BODY), case
    assert headers["content-type"] == "application/json"
    if authorization:  # a refused token is described; no token at all is not (RFC 6750)
        assert headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    else:
        assert "www-authenticate" not in {name.lower() for name in headers}


@pytest.mark.parametrize(
    "authorization",
    [
        # The identity source may hold the token alone, or after "Bearer " (API Gateway's docs).
        lambda s: s.token(),
        # client_id stands in for a missing aud (Cognito access tokens have no aud).
        lambda s: "Bearer " + mint(s.issuer, claims={"aud": None, "client_id": AUDIENCE}),
        lambda s: "Bearer " + mint(s.issuer, claims={"aud": ["another-api", AUDIENCE]}),
    ],
    ids=["bare-token", "client-id-without-aud", "one-of-several-audiences"],
)
def test_tokens_api_gateway_accepts_are_accepted(server: Server, authorization: Any) -> None:
    status, _, body = server.request(
        "POST", "/add", {"a": 1, "b": 2}, caller=None, authorization=authorization(server)
    )
    assert (status, body["result"]) == (200, 3)


ECHO_AUTHORIZER = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""


def test_an_allowed_request_carries_the_claims_as_api_gateway_passes_them(
    server: Server, buildroot: Path
) -> None:
    extra = {"groups": ["admin", "ops"], "email_verified": True, "scope": "read write"}
    token = mint(server.issuer, "alice", claims=extra)
    zip_path = buildroot / ADD_ZIP
    original = zip_path.read_bytes()
    try:
        zip_path.write_bytes(with_handler(original, ECHO_AUTHORIZER))
        status, _, authorizer = server.request(
            "POST", "/add", {"a": 1, "b": 2}, authorization=f"Bearer {token}"
        )
    finally:
        zip_path.write_bytes(original)
    assert status == 200
    payload = jwt.decode(token, options={"verify_signature": False})
    # Every claim a string; arrays space-separated in brackets; scopes null (no route scopes).
    assert authorizer == {
        "jwt": {
            "claims": {
                **{name: str(value) for name, value in payload.items()},
                "groups": "[admin ops]",
                "email_verified": "true",
            },
            "scopes": None,
        }
    }
    assert authorizer["jwt"]["claims"]["sub"] == "alice"
    assert authorizer["jwt"]["claims"]["iss"] == server.issuer


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def test_the_issuer_publishes_discovery_and_the_key_its_tokens_verify_with(server: Server) -> None:
    discovery = get_json(server.issuer + "/.well-known/openid-configuration")
    assert discovery["issuer"] == server.issuer
    (published,) = get_json(discovery["jwks_uri"])["keys"]
    token = server.token()
    assert jwt.get_unverified_header(token) == {
        "alg": "RS256",
        "kid": published["kid"],
        "typ": "JWT",
    }
    claims = jwt.decode(
        token,
        jwt.PyJWK(published).key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=discovery["issuer"],
    )
    assert claims["sub"] == DEFAULT_CALLER


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"sub": ""}', "sub"),
        (b'{"expires_in": -1}', "expires_in"),
        (b'{"expires_in": true}', "expires_in"),
        (b'{"claims": [1]}', "claims"),
        (b'{"subject": "x"}', "subject"),
        (b"[1]", "body"),
        (b"{nope", "body"),
    ],
)
def test_the_token_endpoint_answers_a_bad_request_400_naming_the_field(
    server: Server, body: bytes, field: str
) -> None:
    request = urllib.request.Request(server.issuer + "/token", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["message"].startswith(f"{field}: ")


def test_the_token_command_prints_a_token_serve_accepts(server: Server, buildroot: Path) -> None:
    completed = subprocess.run(
        cli(buildroot, "token", "--issuer", server.issuer, "--sub", "carol"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    token = completed.stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "carol"
    status, _, body = server.request(
        "POST", "/add", {"a": 2, "b": 2}, caller=None, authorization=f"Bearer {token}"
    )
    assert (status, body["result"]) == (200, 4)


def test_the_token_command_without_an_issuer_says_how_to_start_one(buildroot: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    completed = subprocess.run(
        cli(buildroot, "token", "--issuer", f"http://127.0.0.1:{port}"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert (completed.returncode, completed.stdout) == (1, "")
    assert f"no local issuer answers at http://127.0.0.1:{port}" in completed.stderr
    assert "run src/python/lambda_devkit/local/main.py -- serve" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_serve_throttles_routes_as_the_template_sets_them() -> None:
    parameters = sam.load()["Parameters"]
    assert route_throttling(sam.load()) == Throttling(
        rate=float(parameters["ThrottlingRateLimit"]["Default"]),
        burst=int(parameters["ThrottlingBurstLimit"]["Default"]),
    )


def test_beyond_its_burst_a_route_is_answered_429_as_api_gateway_does(buildroot: Path) -> None:
    # A burst of 3 refilled once in 1,000 s: the fourth request within the test is refused.
    throttled = start(buildroot, serve=("--throttle-rate", "0.001", "--throttle-burst", "3"))
    try:
        answers = [throttled.request("GET", "/history") for _ in range(8)]
        # Each route has a bucket of its own.
        other_route = throttled.request("POST", "/add", {"a": 1, "b": 2})
    finally:
        stop(throttled)
    assert [status for status, _, _ in answers] == [200] * 3 + [429] * 5
    assert all(body == {"message": "Too Many Requests"} for _, _, body in answers[3:])
    assert other_route[0] == 200


# --- Per-caller history over HTTP: each token's subject sees only its own calculations.


@pytest.fixture(scope="module")
def fresh_server(buildroot: Path) -> Iterator[Server]:
    """A server whose history no other test has written to."""
    running = start(buildroot)
    yield running
    stop(running)


def history_of(server: Server, caller: str, limit: int) -> tuple[list[str], list[str]]:
    """Every id in `caller`'s history, paging `limit` at a time, and the cursors handed out."""
    ids: list[str] = []
    cursors: list[str] = []
    target = f"/history?limit={limit}"
    while True:
        status, _, page = server.request("GET", target, caller=caller)
        assert status == 200, page
        ids += [item["id"] for item in page["items"]]
        if "next" not in page:
            return ids, cursors
        cursors.append(page["next"])
        target = f"/history?limit={limit}&cursor={urllib.parse.quote(page['next'])}"


def add_as(server: Server, caller: str, n: int) -> str:
    status, _, body = server.request("POST", "/add", {"a": n, "b": n}, caller=caller)
    assert (status, body["result"]) == (200, 2 * n), body
    return str(body["id"])


def test_a_caller_never_sees_another_callers_items_or_pages(fresh_server: Server) -> None:
    written = {"dana": [add_as(fresh_server, "dana", n) for n in range(3)]}
    written["erin"] = [add_as(fresh_server, "erin", n) for n in range(2)]
    for caller, ids in written.items():
        listed, _ = history_of(fresh_server, caller, limit=1)  # every page, one item each
        assert listed == ids[::-1]  # newest first, and only the caller's own
    _, dana_cursors = history_of(fresh_server, "dana", limit=1)
    assert dana_cursors
    for cursor in dana_cursors:  # dana's cursor, sent by erin: refused, never dana's page
        status, _, body = fresh_server.request(
            "GET", f"/history?limit=1&cursor={urllib.parse.quote(cursor)}", caller="erin"
        )
        assert status == 400, body
        assert body["errors"][0]["field"] == "cursor"
    # A caller with no calculations has an empty history, not anyone else's.
    assert history_of(fresh_server, "frank", limit=100) == ([], [])


def test_two_callers_in_parallel_each_find_all_their_calculations_and_only_theirs(
    fresh_server: Server,
) -> None:
    # tests/calculator/service/test_concurrency.py's load, over HTTP: REQUESTS per caller from
    # CONTAINERS clients at once, the callers interleaved (at most CONTAINERS in flight, within
    # each function's reserved concurrency).
    callers = [f"parallel-{subject}" for subject in concurrency.SUBJECTS]
    requests = [(caller, n) for n in range(concurrency.REQUESTS) for caller in callers]
    with ThreadPoolExecutor(concurrency.CONTAINERS) as pool:
        answers = list(pool.map(lambda request: add_as(fresh_server, *request), requests))
    written: dict[str, set[str]] = {}
    for caller in callers:
        written[caller] = {i for (c, _), i in zip(requests, answers, strict=True) if c == caller}
    assert all(len(ids) == concurrency.REQUESTS for ids in written.values())
    for caller in callers:
        listed, _ = history_of(fresh_server, caller, limit=100)
        assert sorted(listed) == sorted(written[caller])  # each exactly once, none of the other's
