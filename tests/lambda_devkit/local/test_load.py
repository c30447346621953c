"""Many callers over HTTP at once: each finds all its calculations and only its own, in pages
and cursors of its own, served by several warm containers."""

from __future__ import annotations

import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lambda_devkit.testing import load
from lambda_devkit.testing.local_server import (
    PATIENCE_S,
    Emulator,
    Server,
    answer_of,
    wait_for,
)


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
    assert (status, body.get("result")) == (200, 2 * n), body
    return str(body["id"])


def test_a_caller_never_sees_another_callers_items_or_pages(server: Server) -> None:
    written = {"dana": [add_as(server, "dana", n) for n in range(3)]}
    written["erin"] = [add_as(server, "erin", n) for n in range(2)]
    for caller, ids in written.items():
        listed, _ = history_of(server, caller, limit=1)  # every page, one item each
        assert listed == ids[::-1]  # newest first, and only the caller's own
    _, dana_cursors = history_of(server, "dana", limit=1)
    assert dana_cursors
    for cursor in dana_cursors:  # dana's cursor, sent by erin: refused, never dana's page
        status, _, body = server.request(
            "GET", f"/history?limit=1&cursor={urllib.parse.quote(cursor)}", caller="erin"
        )
        assert status == 400, body
        assert body["errors"][0]["field"] == "cursor"
    # A caller with no calculations has an empty history, not anyone else's.
    assert history_of(server, "frank", limit=100) == ([], [])


def test_two_callers_in_parallel_each_find_all_their_calculations_and_only_theirs(
    server: Server,
) -> None:
    # tests/calculator/service/test_concurrency.py's load, over HTTP: HTTP_REQUESTS per caller
    # from CONTAINERS clients at once, the callers interleaved (at most CONTAINERS in flight,
    # within each function's reserved concurrency).
    callers = [f"parallel-{subject}" for subject in load.SUBJECTS]
    requests = [(caller, n) for n in range(load.HTTP_REQUESTS) for caller in callers]
    with ThreadPoolExecutor(load.CONTAINERS) as pool:
        answers = list(pool.map(lambda request: add_as(server, *request), requests))
    written: dict[str, set[str]] = {}
    for caller in callers:
        written[caller] = {i for (c, _), i in zip(requests, answers, strict=True) if c == caller}
    assert all(len(ids) == load.HTTP_REQUESTS for ids in written.values())
    for caller in callers:
        listed, _ = history_of(server, caller, limit=100)
        assert sorted(listed) == sorted(written[caller])  # each exactly once, none of the other's


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
