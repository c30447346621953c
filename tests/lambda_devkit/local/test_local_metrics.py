"""`invoke` and `serve` show each invocation's metrics as one readable line beside its logs."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from lambda_devkit import emf
from lambda_devkit.testing.local_server import cli, environment


def metrics_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "METRICS " in line]


def document(metric: str, dimension_sets: list[list[str]], timestamp: Any = 1) -> dict[str, Any]:
    directive = {
        "Namespace": "calculator-dev",
        "Dimensions": dimension_sets,
        "Metrics": [{"Name": metric}],
    }
    return {
        "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": [directive]},
        "function_name": "add",
        "service": "calculator",
        "route": "POST /add",
        "outcome": "2xx",
        metric: [1.0],
    }


def test_the_emf_lines_become_one_readable_line_and_other_lines_stay() -> None:
    cold = document("ColdStart", [["function_name", "service"]])
    request = document("Requests", [["function_name", "service"], ["route", "outcome"]])
    log = '{"level":"INFO","message":"hello"}'
    kept, line = emf.without_documents([log, json.dumps(cold), json.dumps(request)])
    assert kept == [log]
    assert line == (
        'METRICS calculator-dev function_name=add outcome=2xx route="POST /add" '
        "| ColdStart=1 Requests=1"
    )
    broken = document("Requests", [["route"]], timestamp="now")
    assert emf.without_documents([json.dumps(broken)])[1] == (
        "METRICS invalid EMF: _aws.Timestamp is 'now', not an integer"
    )


def test_invoke_prints_one_metrics_line_after_the_logs(buildroot: Path) -> None:
    completed = subprocess.run(
        cli(buildroot, "invoke", "add", "--event", "tests/events/add.json"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert metrics_lines(completed.stderr) == [
        'METRICS calculator-dev function_name=add outcome=2xx route="POST /add" '
        "| ColdStart=1 Requests=1"
    ]
    assert '"_aws"' not in completed.stderr  # the raw EMF is replaced, not repeated


def test_serve_prints_one_metrics_line_per_request(buildroot: Path) -> None:
    process = subprocess.Popen(
        cli(buildroot, "serve", "--port", "0", "--issuer-port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        assert process.stdout is not None
        issuer = process.stdout.readline().split()[1].rstrip(",")
        url = process.stdout.readline().split(" on ")[-1].strip()
        token_request = urllib.request.Request(
            issuer + "/token",
            data=b'{"sub": "metrics"}',
            method="POST",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(token_request, timeout=60) as response:
            token = json.loads(response.read())["access_token"]
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        statuses = []
        for body in (b'{"a": 1, "b": 2}', b'{"a": true, "b": 2}'):
            request = urllib.request.Request(
                url + "/add", data=body, method="POST", headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    assert statuses == [200, 400]
    assert metrics_lines(stderr) == [
        '[add] METRICS calculator-dev function_name=add outcome=2xx route="POST /add" '
        "| ColdStart=1 Requests=1",
        '[add] METRICS calculator-dev function_name=add outcome=4xx route="POST /add" '
        "| ClientErrors=1 Requests=1",
    ]
