"""`serve` routes as the template declares and answers every request in JSON: every route to
its own function, every method and body, a function past its timeout, a crashed runtime; and
`invoke` runs one function once. The functions are stand-ins that answer with what they were
sent (conftest.py); the service's own answers under serve are
tests/calculator/packaged/test_served.py's."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.http_api import to_response
from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.testing.dist import lay_out_stand_ins
from lambda_devkit.testing.local_server import (
    AUTHORIZED,
    BODY_ROUTE,
    FUNCTION,
    FUNCTION_ZIP,
    PATIENCE_S,
    ROUTES,
    STORELESS,
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

# A path no route of the template has.
UNROUTED = "/no-such-route"


def delivered(seen: dict[str, Any]) -> bytes:
    """The body a stand-in function received, as bytes (API Gateway sends binary as base64)."""
    body = seen["body"] or ""
    return base64.b64decode(body) if seen["isBase64Encoded"] else body.encode()


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_route_reaches_its_own_function(server: Server, route: service_spec.Route) -> None:
    (function,) = [f for f in service_spec.functions() if route in f.routes]
    status, headers, seen = server.request(*route)
    assert (status, headers["content-type"]) == (200, "application/json")
    assert (seen["function"], seen["route"]) == (function.resource, str(route))


def test_an_unrouted_request_is_404_json_as_api_gateway_answers(server: Server) -> None:
    unrouted = [(method, path) for method in ("GET", "POST") for path in (UNROUTED, "/")]
    # A route's path with another method is not that route.
    unrouted += [("DELETE", route.path) for route in ROUTES if ("DELETE", route.path) not in ROUTES]
    for method, path in unrouted:
        status, headers, body = server.request(method, path)
        assert (status, body) == (404, {"message": "Not Found"}), (method, path)
        assert headers["content-type"] == "application/json"


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
# Sent to a route that takes a body; what an HTTP API answers (status), and what the function
# then receives (None: the API answers without invoking it).
PATH = BODY_ROUTE.path
ROUTED = BODY_ROUTE.method == "POST"
FRONT_DOOR: dict[str, tuple[bytes, int, bytes | None]] = {
    # curl -d '{"a":1,"b":2}' localhost:3000/...: no -H, so curl's form content type.
    "curl-default-form": (
        post(
            PATH,
            {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "13"},
            b'{"a":1,"b":2}',
        ),
        200,
        b'{"a":1,"b":2}',
    ),
    "json": (post(PATH, {**JSON, "Content-Length": "16"}, OPERANDS), 200, OPERANDS),
    "no-content-type": (post(PATH, {"Content-Length": "16"}, OPERANDS), 200, OPERANDS),
    "chunked": (
        post(
            PATH, {**JSON, "Transfer-Encoding": "chunked"}, b"10\r\n" + OPERANDS + b"\r\n0\r\n\r\n"
        ),
        200,
        OPERANDS,
    ),
    "empty": (post(PATH, {**JSON, "Content-Length": "0"}, b""), 200, b""),
    # Not UTF-8, or not a text type: base64 in the event, the same bytes once decoded.
    "not-utf-8": (
        post(PATH, {**JSON, "Content-Length": "4"}, b"\x80\x81\xfe\xff"),
        200,
        b"\x80\x81\xfe\xff",
    ),
    "binary": (
        post(
            PATH,
            {"Content-Type": "application/octet-stream", "Content-Length": "4"},
            b"\x00\x01\x02\x03",
        ),
        200,
        b"\x00\x01\x02\x03",
    ),
    "negative-length": (post(PATH, {**JSON, "Content-Length": "-1"}, b""), 400, None),
    "non-numeric-length": (post(PATH, {**JSON, "Content-Length": "ten"}, b""), 400, None),
    "conflicting-lengths": (
        post(PATH, {**JSON, "Content-Length": "16", "content-length": "17"}, OPERANDS),
        400,
        None,
    ),
    "bad-chunk": (post(PATH, {**JSON, "Transfer-Encoding": "chunked"}, b"zz\r\n"), 400, None),
    "over-10-mb": (post(PATH, {**JSON, "Content-Length": ELEVEN_MB}, b""), 413, None),  # unread
    "chunked-over-10-mb": (
        post(PATH, {**JSON, "Transfer-Encoding": "chunked"}, f"{11 * 1024 * 1024:x}\r\n".encode()),
        413,
        None,
    ),
    "unrouted-path": (post(UNROUTED, {**JSON, "Content-Length": "16"}, OPERANDS), 404, None),
    "trace": (f"TRACE {PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(), 404, None),
    "options": (f"OPTIONS {PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(), 404, None),
    "propfind": (f"PROPFIND {PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(), 404, None),
    "malformed-request-line": (f"BREW {PATH} HTTP/1.1 extra\r\n\r\n".encode(), 400, None),
}


@pytest.mark.skipif(not ROUTED, reason="the template routes no POST")
@pytest.mark.parametrize("case", FRONT_DOOR)
def test_every_method_and_body_gets_a_json_answer(server: Server, case: str) -> None:
    request_bytes, status, body = FRONT_DOOR[case]
    answered, headers, answer = server.raw_request(request_bytes)
    assert answered == status, answer
    assert headers["content-type"] == "application/json"
    document = json.loads(answer)
    if body is None:
        assert set(document) == {"message"}, document  # the API's own answer
    else:
        assert delivered(document) == body


def test_head_is_answered_with_headers_only(server: Server) -> None:
    head = f"HEAD {BODY_ROUTE.path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    status, headers, body = server.raw_request(head)
    assert (status, headers["content-type"], body) == (404, "application/json", b"")
    assert int(headers["content-length"]) == len(b'{"message":"Not Found"}')


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    """Any method, path, content type, framing and body, as bytes on the wire."""
    method = draw(
        st.sampled_from(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "BREW"])
    )
    route = draw(st.sampled_from(ROUTES))
    path = draw(
        st.sampled_from([route.path, f"{route.path}?limit=x&a", f"{route.path}/", "/", UNROUTED])
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
    route = str(FUNCTION.routes[0])
    completed = subprocess.run(
        cli(buildroot, *STORELESS, "invoke", FUNCTION.name, "--event", "-"),
        input=json.dumps({"routeKey": route}),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=PATIENCE_S,
    )
    assert completed.returncode == 0, completed.stderr
    response = json.loads(completed.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["route"] == route
    assert "REPORT init" in completed.stderr


# --- Failures answered, never dropped: a function past its timeout, a runtime that dies.


def test_the_emulator_holds_functions_to_the_templates_timeout(buildroot: Path) -> None:
    service = LocalService(buildroot, aws_environment("http://127.0.0.1:9"))
    service.close()
    timeout = sam.load()["Globals"]["Function"]["Timeout"]
    assert service.timeout_s == float(timeout)


def test_a_function_past_its_timeout_is_stopped_and_answered_500(tmp_path: Path) -> None:
    buildroot = lay_out_stand_ins(tmp_path)
    zip_path = buildroot / FUNCTION_ZIP
    # Were the timeout not enforced, it would answer 200 after 20 s.
    sleeper = (
        "import time\n\n\ndef handler(event, context):\n"
        "    time.sleep(20)\n    return {'statusCode': 200, 'body': '{}'}\n"
    )
    zip_path.write_bytes(with_handler(zip_path.read_bytes(), sleeper))
    slow = start(buildroot, timeout_s=1, aws=STORELESS)
    try:
        status, _, body = slow.request(*FUNCTION.routes[0])
        # An HTTP API's answer to a function error, a timeout included.
        assert (status, body) == (500, {"message": "Internal Server Error"})
    finally:
        code, children = stop(slow)
    assert code == 0
    wait_for(lambda: not any(alive(pid) for pid in children), "the containers to exit")


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
