"""`invoke` and `serve` show each invocation's metrics as one readable line beside its logs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from lambda_devkit import emf, service_spec
from lambda_devkit.testing.local_server import (
    FUNCTION,
    PATIENCE_S,
    ROUTES,
    STORELESS,
    cli,
    environment,
    start,
    stop,
)


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


# What the stand-in functions print once per request (lambda_devkit.testing.dist.PROBE), as
# serve and invoke show it.
def probe_line(route: str) -> str:
    return f'METRICS probe route="{route}" | Requests=1'


def test_invoke_prints_one_metrics_line_after_the_logs(buildroot: Path) -> None:
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
    assert metrics_lines(completed.stderr) == [probe_line(route)]
    assert '"_aws"' not in completed.stderr  # the raw EMF is replaced, not repeated


def test_serve_prints_one_metrics_line_per_request(buildroot: Path) -> None:
    server = start(buildroot, aws=STORELESS)
    try:
        statuses = [server.request(*route)[0] for route in ROUTES]
    finally:
        stop(server)
    assert statuses == [200] * len(ROUTES)
    # Each line names the function that printed it.
    functions = {route: f.name for f in service_spec.functions() for route in f.routes}
    assert metrics_lines("".join(server.log)) == [
        f"[{functions[route]}] {probe_line(str(route))}" for route in ROUTES
    ]
