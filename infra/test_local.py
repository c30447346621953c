"""The packaged zips run locally (awslambdaric, moto): `serve`, `invoke`, and the time budget."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aws_testing import silent_store
from local.service import LocalService, aws_environment
from rehearsal import template as sam

ADD_ZIP = "dist/src.python.calculator.functions.add/lambda.zip"
EVENTS = Path("tests/events")
FUNCTIONS = sorted(
    sam.function_name_of(a.path)
    for a in sam.artifacts(sam.load())
    if a.resource_type == sam.FUNCTION
)
# The serve/invoke CLI, run as its own process with this interpreter and import path.
LAUNCH = "import sys; from local.main import main; sys.argv[0] = 'local'; main()"


@pytest.fixture(scope="module")
def buildroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What Pants built, laid out as dist/ under a build root, free to rebuild."""
    root = tmp_path_factory.mktemp("buildroot")
    for artifact in sam.artifacts(sam.load()):
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(artifact.path.removeprefix("dist/")).read_bytes())
    return root


def cli(buildroot: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCH, "--buildroot", str(buildroot), *args]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        data = (
            None
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"} if data is not None else {},
        )
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


def start(buildroot: Path, *args: str) -> Server:
    process = subprocess.Popen(
        cli(buildroot, *args, "serve", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert process.stdout is not None
    banner = process.stdout.readline()  # "Serving ... on http://127.0.0.1:<port>"
    assert banner.startswith("Serving"), banner + (process.stderr.read() if process.stderr else "")
    return Server(process, banner.split(" on ")[-1].strip())


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


def test_a_rebuilt_zip_is_served_without_restart(server: Server, buildroot: Path) -> None:
    assert server.request("POST", "/add", {"a": 1, "b": 1})[0] == 200
    zip_path = buildroot / ADD_ZIP
    original = zip_path.read_bytes()
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "lambda_function.py":
                data = (
                    b"def handler(event, context):\n    return {'statusCode': 418, 'body': '{}'}\n"
                )
            target.writestr(info, data)
    try:
        zip_path.write_bytes(rebuilt.getvalue())
        assert server.request("POST", "/add", {"a": 1, "b": 1})[0] == 418
    finally:
        zip_path.write_bytes(original)
    assert server.request("POST", "/add", {"a": 1, "b": 1})[0] == 200


def test_a_function_past_its_timeout_is_stopped_and_answered_504(buildroot: Path) -> None:
    slow = start(buildroot, "--timeout", "0.001")
    try:
        status, _, body = slow.request("POST", "/add", {"a": 1, "b": 2})
        assert (status, body) == (504, {"message": "Gateway Timeout"})
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


@pytest.mark.parametrize("name", FUNCTIONS)
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
