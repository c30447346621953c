"""The packaged zips with a store that has hung, in the emulator with the template's timeout:
each function that uses a table answers 503 with Retry-After, in time. (A file of its own: the
functions wait out their time budgets, seconds in which its process is idle, and Pants runs it
beside the other tests.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit.emulator.container import Result
from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.testing.aws import silent_store
from lambda_devkit.testing.dist import lay_out_dist

# Functions that touch the table, which a hung store holds up.
TABLE_FUNCTIONS = [f.name for f in service_spec.functions() if f.table_actions]


# A store that accepts connections and never answers: each function still answers itself,
# 503 + Retry-After, before the template's timeout (past which the emulator, like Lambda,
# kills the invocation and reports Sandbox.Timedout).


@pytest.fixture(scope="module")
def hung_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    buildroot = lay_out_dist(tmp_path_factory.mktemp("buildroot"))
    with silent_store() as endpoint:
        service = LocalService(buildroot, aws_environment(endpoint))
        yield service
        service.close()


def test_a_hung_store_is_a_503_with_retry_after_before_the_timeout(
    hung_service: LocalService,
) -> None:
    # Every function that uses a table, at once: each waits out its own time budget (seconds),
    # and its own containers answer it.
    def invoke(name: str) -> tuple[str, Result]:
        event: Any = json.loads(service_spec.function(name).event.read_text())
        return name, hung_service.invoke(hung_service.functions[name], event)

    assert TABLE_FUNCTIONS, "the template deploys no function that uses a table"
    with ThreadPoolExecutor(len(TABLE_FUNCTIONS)) as pool:
        results = list(pool.map(invoke, TABLE_FUNCTIONS))
    for name, result in results:
        print(
            f"{name}: answered after {result.duration_ms:.0f} ms of {hung_service.timeout_s:.0f} s"
        )
        assert not result.timed_out, (name, result.logs)
        assert result.error is None, (name, result.error)
        assert result.payload["statusCode"] == 503, (name, result.payload)
        assert result.payload["headers"]["Retry-After"] == "1", name
        assert "nothing was recorded" in json.loads(result.payload["body"])["message"], name
