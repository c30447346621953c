"""`serve` stops when told: its containers, issuer and AWS endpoint go with it."""

from __future__ import annotations

from pathlib import Path

from lambda_devkit.testing.local_server import alive, start, stop, wait_for


def test_shutdown_is_clean_and_leaves_no_process(buildroot: Path) -> None:
    running = start(buildroot)
    assert running.request("POST", "/add", {"a": 1, "b": 2})[0] == 200
    code, children = stop(running)
    assert children, "a warm container should have been running"
    assert code == 0
    wait_for(lambda: not any(alive(pid) for pid in children), "the containers to exit")
