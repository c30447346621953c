"""Throttling as AWS does it: route throttling at the HTTP API (429), and a function's reserved
concurrency in the emulator (503)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.http_api import to_response
from lambda_devkit.local.gateway import Throttling, route_throttling
from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.testing.local_server import (
    FUNCTION,
    PATIENCE_S,
    ROUTES,
    STORELESS,
    Emulator,
    answer_of,
    start,
    stop,
    wait_for,
)

FUNCTIONS = [f.name for f in service_spec.functions()]


def test_serve_throttles_routes_as_the_template_sets_them() -> None:
    parameters = sam.load()["Parameters"]
    assert route_throttling(sam.load()) == Throttling(
        rate=float(parameters["ThrottlingRateLimit"]["Default"]),
        burst=int(parameters["ThrottlingBurstLimit"]["Default"]),
    )


def test_beyond_its_burst_a_route_is_answered_429_as_api_gateway_does(buildroot: Path) -> None:
    # A burst of 3 refilled once in 1,000 s: the fourth request within the test is refused,
    # however slowly the machine sends them (a starved test would need 1,000 s to see a refill).
    throttled = start(
        buildroot, serve=("--throttle-rate", "0.001", "--throttle-burst", "3"), aws=STORELESS
    )
    first, *others = ROUTES
    try:
        answers = [throttled.request(*first) for _ in range(8)]
        # Each route has a bucket of its own.
        other_routes = [throttled.request(*route)[0] for route in others]
    finally:
        stop(throttled)
    assert [status for status, _, _ in answers] == [200] * 3 + [429] * 5
    assert all(body == {"message": "Too Many Requests"} for _, _, body in answers[3:])
    assert other_routes == [200] * len(others)


@pytest.fixture
def service(buildroot: Path) -> Iterator[LocalService]:
    service = LocalService(buildroot, aws_environment("http://127.0.0.1:9"))
    yield service
    service.close()


def test_the_emulator_runs_as_many_containers_as_the_template_reserves(
    service: LocalService,
) -> None:
    reserved = int(sam.load()["Parameters"]["ReservedConcurrency"]["Default"])
    assert reserved > 0
    assert {f.name: f.concurrency for f in service.functions.values()} == dict.fromkeys(
        FUNCTIONS, reserved
    )


def test_beyond_its_concurrency_a_function_is_throttled_503(
    emulator: Emulator, tmp_path: Path
) -> None:
    functions = emulator.service.functions
    functions[FUNCTION.name] = dataclasses.replace(functions[FUNCTION.name], concurrency=1)
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
    assert answer_of(in_flight.result(timeout=PATIENCE_S))["build"] == "first"
