"""Fixtures shared by every test: event fixtures, a Lambda context, AWS on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from aws_testing import FAKE_CREDENTIALS, REGION, MotoServer, history_store
from calculator.shared.history import TABLE_NAME_ENV, HistoryStore
from lambda_events import EventFactory, load_event

# Handler modules create their boto3 client at import, as in Lambda: give them a region, fake
# credentials and a table name before any test imports one. Tests inject their own store.
for name, value in {
    **FAKE_CREDENTIALS,
    "AWS_DEFAULT_REGION": REGION,
    TABLE_NAME_ENV: "unused-tests-inject-a-store",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
}.items():
    os.environ.setdefault(name, value)


@pytest.fixture
def api_event() -> EventFactory:
    """Loads an API Gateway event fixture; see lambda_events.load_event."""
    return load_event


@dataclass(frozen=True)
class FakeLambdaContext:
    """The context attributes Powertools' logger and the handlers' time budget read."""

    function_name: str = "calculator-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:calculator-test"
    aws_request_id: str = "6f2c1d8e-0000-4000-8000-000000000000"
    remaining_ms: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def fake_lambda_context() -> LambdaContext:
    # Handlers are typed against Powertools' LambdaContext; this has the same attributes.
    return FakeLambdaContext()  # type: ignore[return-value]


@pytest.fixture
def lambda_context() -> LambdaContext:
    return fake_lambda_context()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def store(moto_server: MotoServer) -> HistoryStore:
    """A fresh, empty history table on the moto server."""
    return history_store(moto_server.endpoint)
