"""`serve` routes as the template declares and answers every request in JSON: bad requests,
every method and body, a hung store, a function past its timeout, a crashed runtime; and
`invoke` runs one function once."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.container import Result
from lambda_devkit.emulator.http_api import to_response
from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.testing.answers import API_GATEWAY, Answer, load
from lambda_devkit.testing.aws import silent_store
from lambda_devkit.testing.dist import lay_out_dist
from lambda_devkit.testing.local_server import (
    ADD_ZIP,
    AUTHORIZED,
    PATIENCE_S,
    TOKEN,
    Emulator,
    Server,
    alive,
    answer_of,
    cli,
    environment,
    start,
    stop,
    wait_for,
    with_handler,
)

EVENTS = service_spec.EVENTS_DIR
# Functions that touch the table, which a hung store holds up.
TABLE_FUNCTIONS = [f.name for f in service_spec.functions() if f.table_actions]
# What the service answers, request by request (also rendered into docs/api.md).
ANSWERS = load(Path("tests/calculator/answers.toml"))
# The routes the template deploys: a case about an example route runs while it is deployed (a
# fork removes the examples one by one, and the tree stays green after each).
ROUTES = {(route.method, route.path) for f in service_spec.functions() for route in f.routes}
# The example calculations, each with its exact result.
CALCULATIONS = [
    ("/add", {"a": 0.1, "b": 0.2}, 0.3),
    ("/multiply", {"a": 123456789012345678901234567890, "b": 3}, 370370367037037036703703703670),
]


def on(method: str, path: str, *values: Any) -> Any:
    """A test case about `method path`, skipped once the template no longer deploys it."""
    route = (method, path.split("?", 1)[0])
    return pytest.param(
        method,
        path,
        *values,
        marks=pytest.mark.skipif(route not in ROUTES, reason=f"{method} {path} is not deployed"),
    )


def test_every_route_answers_and_history_reflects_the_calls(server: Server) -> None:
    calls = [c for c in CALCULATIONS if ("POST", c[0]) in ROUTES]
    if not calls or ("GET", "/history") not in ROUTES:
        pytest.skip("the template deploys no example calculation, or no history")
    ids = []
    for path, request, result in calls:
        status, headers, body = server.request("POST", path, request)
        assert (status, body["result"], headers["content-type"]) == (
            200,
            result,
            "application/json",
        )
        ids.append(body["id"])
    status, _, body = server.request("GET", f"/history?limit={len(ids)}")
    assert status == 200
    assert [item["id"] for item in body["items"]] == ids[::-1]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        on("POST", "/add", {"a": True, "b": 1}, 400),
        on("POST", "/multiply", b"{not json", 400),
        on("POST", "/add", {"a": 1}, 400),
        on("GET", "/history?limit=1000", None, 400),
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
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=PATIENCE_S)
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


# --- The HTTP front door: every method and every body answered in JSON, never a dropped
# connection.


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
    answered, headers, body = server.raw_request(request_bytes)
    assert answered == status, body
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["result"] == 3 if status == 200 else document["message"]
    if status == 415:
        assert "Content-Type: application/json" in document["errors"][0]["problem"]


def test_head_is_answered_with_headers_only(server: Server) -> None:
    status, headers, body = server.raw_request(b"HEAD /add HTTP/1.1\r\nHost: localhost\r\n\r\n")
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
    status, headers, body = server.raw_request(request_bytes)
    assert status < 500, (status, body)
    assert headers["content-type"] == "application/json"
    if not request_bytes.startswith(b"HEAD "):
        assert json.loads(body)


def test_routes_prints_every_route_of_the_template_with_its_handler(buildroot: Path) -> None:
    completed = subprocess.run(
        cli(buildroot, "routes"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=PATIENCE_S,
    )
    assert completed.returncode == 0, completed.stderr
    printed = [line.split("\t") for line in completed.stdout.splitlines()]
    # The template read here as YAML, not through service_spec, which `routes` itself uses.
    declared = sorted(
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"], name)
        for name, resource in sam.load()["Resources"].items()
        if resource["Type"] == sam.FUNCTION
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    )
    resources = {f.name: f.resource for f in service_spec.functions()}
    assert sorted((m, p, resources[f]) for m, p, f, _ in printed) == declared
    for _, _, name, handler in printed:
        module = handler.removeprefix("src/python/").removesuffix(".py").replace("/", ".")
        assert module == service_spec.function(name).handler_module, handler


def test_invoke_prints_the_response_logs_and_timings(buildroot: Path) -> None:
    event = (EVENTS / "add.json").read_text()
    completed = subprocess.run(
        cli(buildroot, "invoke", "add", "--event", "-"),
        input=event,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=PATIENCE_S,
    )
    assert completed.returncode == 0, completed.stderr
    response = json.loads(completed.stdout)
    assert response["statusCode"] == 200
    assert "REPORT init" in completed.stderr


# --- Failures answered, never dropped: a function past its timeout, a hung store, a runtime
# that dies.


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
    slow = start(buildroot, timeout_s=1)
    try:
        status, _, body = slow.request("POST", "/add", {"a": 1, "b": 2})
        # An HTTP API's answer to a function error, a timeout included.
        assert (status, body) == (500, {"message": "Internal Server Error"})
    finally:
        code, children = stop(slow)
    assert code == 0
    wait_for(lambda: not any(alive(pid) for pid in children), "the containers to exit")


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


def test_a_hung_store_is_a_503_with_retry_after_before_the_timeout(
    hung_service: LocalService,
) -> None:
    # Every function that uses a table, at once: each waits out its own time budget (seconds),
    # and its own containers answer it.
    def invoke(name: str) -> tuple[str, Result]:
        event = json.loads((EVENTS / f"{name}.json").read_text())
        return name, hung_service.invoke(hung_service.functions[name], event)

    assert TABLE_FUNCTIONS, "the template deploys no function that uses a table"
    with ThreadPoolExecutor(len(TABLE_FUNCTIONS)) as pool:
        results = list(pool.map(invoke, TABLE_FUNCTIONS))
    for name, result in results:
        print(
            f"{name}: answered after {result.duration_ms:.0f} ms of {hung_service.timeout_s:.0f} s"
        )
        assert not result.timed_out, (name, result.logs)
        assert result.error is None, (name, result.error)
        assert result.payload["statusCode"] == 503, (name, result.payload)
        assert result.payload["headers"]["Retry-After"] == "1", name
        assert "nothing was recorded" in json.loads(result.payload["body"])["message"], name


def test_a_runtime_killed_mid_request_fails_it_at_once_as_lambda_does(
    emulator: Emulator, tmp_path: Path
) -> None:
    in_flight = emulator.invoke_in_background(tmp_path)
    wait_for(lambda: list(tmp_path.glob("started-*")), "the request to start")
    (pid,) = emulator.service.container_pids()
    os.kill(pid, signal.SIGKILL)
    result = in_flight.result(timeout=PATIENCE_S)
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
