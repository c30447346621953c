"""The fixtures tests of the service share: event fixtures, a Lambda context, AWS on loopback.

A conftest.py re-exports them where tests use them (tests/calculator/, and the devkit's test
directories that run the service). There is no repository-wide conftest on purpose: it would
make every test file, the launcher's and the docs' included, depend on the service's code, so
that an edit to a shared module reran the whole suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared.history import TABLE_NAME_ENV, HistoryStore
from lambda_devkit.testing.aws import FAKE_CREDENTIALS, REGION, MotoServer, history_store
from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import EventFactory, load_event

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
    """Loads an API Gateway event fixture; see lambda_devkit.testing.events.load_event."""
    return load_event


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
