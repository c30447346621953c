"""The packaged zips against a store that has hung, started now and checked later.

Each function that uses a table is invoked once with its event and an Idempotency-Key (so a
route that writes uses the store for the key, whatever its own code does), in a container of
the emulator with the template's timeout and memory and its own environment, while its store
endpoint accepts
connections and never answers (lambda_devkit.testing.aws.silent_store): it answers 503 with
Retry-After itself, once its time budget is spent. That is seconds in which the test process
waits and does nothing else, so the invocations run in the background from the start of the
process, beside the other tests, and tests/calculator/packaged/test_hung_store.py checks their
answers at its end (tests/calculator/packaged/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as all_done
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.container import Container, Result
from lambda_devkit.emulator.sandbox import Sandbox
from lambda_devkit.testing.aws import FAKE_CREDENTIALS, REGION, silent_store
from lambda_devkit.testing.dist import packaged
from lambda_devkit.testing.events import with_key

# Functions that touch the table, which a hung store holds up.
TABLE_FUNCTIONS = [f.name for f in service_spec.functions() if f.table_actions]


@dataclass(frozen=True)
class HungStore:
    """Each table function's answer to its event fixture, as it comes, and its timeout."""

    timeout_s: float
    answers: dict[str, Future[Result]]


@contextmanager
def hung_store(root: Path, opt: Path) -> Iterator[HungStore]:
    """Starts the invocations (containers under `root`, layers from `opt` as
    lambda_devkit.testing.dist.merge_unpacked or unpack_layers wrote them); at the end, waits
    for them, stops the containers and closes the store."""
    function_globals = sam.load()["Globals"]["Function"]
    timeout_s = float(function_globals["Timeout"])
    tables = service_spec.table_names("hung")
    with silent_store() as endpoint, ThreadPoolExecutor(max(1, len(TABLE_FUNCTIONS))) as pool:
        containers = {
            name: Container(
                Sandbox.unpack(
                    root / name,
                    packaged(service_spec.function(name).built),
                    [],
                    opt=opt,
                    function_name=name,
                    memory_mb=int(function_globals["MemorySize"]),
                    timeout_s=timeout_s,
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

        def invoke(name: str) -> Result:
            event: Any = json.loads(service_spec.function(name).event.read_text())
            return containers[name].invoke(with_key(event, f"hung-{name}", f"hung-{name}"))

        answers = {name: pool.submit(invoke, name) for name in TABLE_FUNCTIONS}
        try:
            yield HungStore(timeout_s, answers)
        finally:
            all_done(answers.values())
            # At once: each stop waits for its Runtime API's server loop (up to half a second).
            list(pool.map(Container.stop, containers.values()))
