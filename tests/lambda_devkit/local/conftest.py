"""Fixtures of the local-server tests: a dist/ of their own, and one `serve` per test file.

They test the tools, not the service: every zip is a stand-in (lambda_devkit.testing.dist's
probe, which answers with what it was sent) at the path the template names, so these tests
rerun when the tools or the template change, not on every edit of the service. The service's
own zips under `serve` are tests/calculator/packaged/test_served.py's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.testing.dist import lay_out_stand_ins
from lambda_devkit.testing.local_server import (
    FUNCTION_ZIP,
    PATIENCE_S,
    STORELESS,
    Emulator,
    Server,
    serving,
)


@pytest.fixture(scope="module")
def buildroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lay_out_stand_ins(tmp_path_factory.mktemp("buildroot"))


@pytest.fixture(scope="module")
def server(buildroot: Path) -> Iterator[Server]:
    """One `serve` for a whole test file, its stand-in functions given no store."""
    with serving(buildroot, aws=STORELESS) as running:
        yield running


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """FUNCTION's containers in process, on a dist/ of the test's own, running a gated
    handler (build "first"). No store: the gated handler never calls one. A held request waits
    for the test (a rebuild, another cold start): the function timeout is PATIENCE_S, not the
    template's 10 s, which a starved machine can spend before the test releases it."""
    root = lay_out_stand_ins(tmp_path / "buildroot")
    zip_path = root / FUNCTION_ZIP
    service = LocalService(root, aws_environment("http://127.0.0.1:9"), timeout_s=PATIENCE_S)
    running = Emulator(service, zip_path, zip_path.read_bytes())
    running.build("first")
    yield running
    running.pool.shutdown(wait=False, cancel_futures=True)
    running.service.close()
