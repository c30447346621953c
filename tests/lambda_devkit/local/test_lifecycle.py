"""`serve` stops when told, and when the process that started it is gone: its ports, its
containers, the issuer and its AWS endpoint go with it. (The same through `./pants run`, which
runs serve in a session of its own: src/python/lambda_devkit/local/serve_check.sh, in CI.)"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_devkit.testing.local_server import (
    BODY_ROUTE,
    PATIENCE_S,
    UNTHROTTLED,
    Server,
    alive,
    cli,
    descendants,
    environment,
    listening,
    start,
    wait_for,
)


def assert_all_gone(server: Server, processes: set[int]) -> None:
    wait_for(lambda: not any(alive(pid) for pid in processes), "serve's processes to exit")
    assert not listening(server.url)
    assert not listening(server.issuer)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_serve_its_containers_and_issuer_and_frees_its_ports(
    buildroot: Path, signum: signal.Signals
) -> None:
    running = start(buildroot)
    assert running.request(*BODY_ROUTE)[0] == 200
    children = running.descendants()
    assert children, "a warm container should have been running"
    running.process.send_signal(signum)
    assert running.process.wait(timeout=PATIENCE_S) == 0
    assert_all_gone(running, children)


# Stands in for the Pants client that `./pants run` is: it starts serve and waits for it.
PARENT = "import subprocess, sys; subprocess.Popen(sys.argv[1:]).wait()"


def test_serve_stops_when_the_process_that_started_it_is_killed(buildroot: Path) -> None:
    # SIGKILL, which no one can pass on: serve must notice it has been orphaned by itself.
    command = cli(buildroot, "serve", "--port", "0", "--issuer-port", "0", *UNTHROTTLED)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, *command],
        stdout=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert parent.stdout is not None
    issuer, banner = parent.stdout.readline(), parent.stdout.readline()
    assert banner.startswith("Serving"), issuer + banner
    running = Server(parent, banner.split(" on ")[-1].strip(), issuer.split()[1].rstrip(","))
    assert running.request(*BODY_ROUTE)[0] == 200
    processes = descendants(parent.pid)
    assert len(processes) > 1, "serve and a warm container should have been running"
    parent.kill()
    parent.wait(timeout=PATIENCE_S)
    assert_all_gone(running, processes)
