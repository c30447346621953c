"""The deploy rehearsal's tests: one moto server for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lambda_devkit.moto_server import MotoServer


@contextmanager
def stack_server() -> Iterator[MotoServer]:
    """A moto server that can create SAM's stacks (lambda_devkit.moto_server), for a whole
    pytest process: starting one imports every moto backend and its CloudFormation fixes
    (seconds); emptying it (`MotoServer.reset`) takes milliseconds."""
    server = MotoServer(stacks=True).start()
    try:
        yield server
    finally:
        server.stop()
