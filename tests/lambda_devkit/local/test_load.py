"""Many callers over HTTP at once: each request reaches a function as its own caller, with its
own body, served by several warm containers. (That each caller then sees only its own data is
the service's to prove: tests/calculator/service/test_concurrency.py.)"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lambda_devkit.testing.local_server import (
    BODY_ROUTE,
    PATIENCE_S,
    Emulator,
    Server,
    answer_of,
    wait_for,
)

# Clients at once, within each function's reserved concurrency in the template (10), and the
# requests of each caller: parallel callers mixed up would show in a few requests as in many.
CLIENTS = 8
REQUESTS_PER_CALLER = 16


def test_parallel_callers_each_reach_the_function_as_themselves(server: Server) -> None:
    # Two callers' requests interleaved, at most CLIENTS in flight.
    callers = ["parallel-alice", "parallel-bob"]
    requests = [(caller, n) for n in range(REQUESTS_PER_CALLER) for caller in callers]

    def send(request: tuple[str, int]) -> tuple[str, int]:
        caller, n = request
        status, _, seen = server.request(*BODY_ROUTE, {"n": n}, caller=caller)
        assert status == 200, seen
        return seen["authorizer"]["jwt"]["claims"]["sub"], json.loads(seen["body"])["n"]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(send, requests))
    # Each request reached a function with its own token's caller and its own body.
    assert answers == requests


def test_concurrent_requests_are_served_by_more_than_one_warm_container(
    emulator: Emulator, tmp_path: Path
) -> None:
    both = [emulator.invoke_in_background(tmp_path) for _ in range(2)]
    # Both held at once: only two containers can be running them.
    wait_for(lambda: len(list(tmp_path.glob("started-*"))) == 2, "two requests in flight")
    (tmp_path / "release").touch()
    pids = {answer_of(future.result(timeout=PATIENCE_S))["pid"] for future in both}
    assert len(pids) == 2
    assert set(emulator.service.container_pids()) == pids  # both stay warm
