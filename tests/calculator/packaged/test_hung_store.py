"""The packaged zips with a store that has hung, in the emulator with the template's timeout:
each function that uses a table answers 503 with Retry-After, in time.

The functions wait out their time budgets (seconds in which the process is idle), all at once.
This file shares a pytest process with test_import_guard.py (a batch, tests/calculator/packaged/
BUILD) and the layers conftest.py unpacks once for both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.container import Container, Result
from lambda_devkit.emulator.sandbox import Sandbox
from lambda_devkit.testing.aws import FAKE_CREDENTIALS, REGION, silent_store
from lambda_devkit.testing.dist import packaged

# Functions that touch the table, which a hung store holds up.
TABLE_FUNCTIONS = [f.name for f in service_spec.functions() if f.table_actions]
# The functions' timeout and memory as the template gives them (Globals), as Lambda runs them.
FUNCTION_GLOBALS = sam.load()["Globals"]["Function"]
TIMEOUT_S = float(FUNCTION_GLOBALS["Timeout"])


# A store that accepts connections and never answers: each function still answers itself,
# 503 + Retry-After, before the template's timeout (past which the emulator, like Lambda,
# kills the invocation and reports Sandbox.Timedout).


@pytest.fixture(scope="module")
def hung(tmp_path_factory: pytest.TempPathFactory, opt: Path) -> Iterator[dict[str, Container]]:
    """A container of each function that uses a table, its store an endpoint that never
    answers; the template's timeout and memory, the function's own environment."""
    tables = service_spec.table_names("hung")
    with silent_store() as endpoint:
        containers = {
            name: Container(
                Sandbox.unpack(
                    tmp_path_factory.mktemp(name),
                    packaged(service_spec.function(name).built),
                    [],
                    opt=opt,
                    function_name=name,
                    memory_mb=int(FUNCTION_GLOBALS["MemorySize"]),
                    timeout_s=TIMEOUT_S,
                    region=REGION,
                    extra_env={
                        **FAKE_CREDENTIALS,
                        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
                        **service_spec.function_environment(tables, name),
                    },
                )
            )
            for name in TABLE_FUNCTIONS
        }
        yield containers
        # At once: each stop waits for its Runtime API's server loop (up to half a second).
        with ThreadPoolExecutor(len(containers)) as stopping:
            list(stopping.map(Container.stop, containers.values()))


def test_a_hung_store_is_a_503_with_retry_after_before_the_timeout(
    hung: dict[str, Container],
) -> None:
    # Every function that uses a table, at once: each waits out its own time budget (seconds).
    def invoke(name: str) -> tuple[str, Result]:
        event: Any = json.loads(service_spec.function(name).event.read_text())
        return name, hung[name].invoke(event)

    assert TABLE_FUNCTIONS, "the template deploys no function that uses a table"
    with ThreadPoolExecutor(len(TABLE_FUNCTIONS)) as pool:
        results = list(pool.map(invoke, TABLE_FUNCTIONS))
    for name, result in results:
        print(f"{name}: answered after {result.duration_ms:.0f} ms of {TIMEOUT_S:.0f} s")
        assert not result.timed_out, (name, result.logs)
        assert result.error is None, (name, result.error)
        assert result.payload["statusCode"] == 503, (name, result.payload)
        assert result.payload["headers"]["Retry-After"] == "1", name
        assert "nothing was recorded" in json.loads(result.payload["body"])["message"], name
