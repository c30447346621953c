"""One moto server for the rehearsal's tests in a pytest process, emptied for each use.

moto keeps its state per process, whichever server answers: each deployment starts from an
empty account (`endpoint`), as a server of its own would give it, without starting one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambda_devkit.moto_server import MotoServer
from lambda_devkit.testing.rehearsal import stack_server


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with stack_server() as server:
        yield server


@pytest.fixture
def endpoint(moto: MotoServer) -> str:
    """The server, emptied: no stack, bucket, role or function of an earlier test."""
    moto.reset()
    return moto.endpoint
