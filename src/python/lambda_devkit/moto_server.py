"""moto in server mode on 127.0.0.1: the one AWS endpoint of tests, the rehearsal and `serve`.

`MotoServer` is moto's HTTP server on loopback (an ephemeral port); boto3 reaches it through
endpoint configuration exactly as it would reach AWS. It carries the few CloudFormation fixes
the rehearsal needs (below). `create_tables` makes every table the template declares there.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3

from lambda_devkit import service_spec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "us-east-1"
# moto accepts any credentials; these keep boto3 from looking for real ones.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class MotoServer:
    """moto's server mode on loopback, started and stopped explicitly (or `with` it)."""

    def __init__(self, stacks: bool = False) -> None:
        # Imported here, not at the top: moto's server (Flask, every moto backend) takes ~1.2 s
        # to import, which every test file would pay at collection through conftest.py, whether
        # or not it starts a server.
        from moto.server import ThreadedMotoServer

        if stacks:  # CloudFormation stacks of SAM's output (the rehearsal): moto's fixes
            import lambda_devkit.moto_cloudformation  # noqa: F401
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> MotoServer:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def reset(self) -> None:
        """Empties every backend: moto keeps its state per process, not per server."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request).close()

    def stop(self) -> None:
        self._server.stop()


@contextmanager
def moto_endpoint(stacks: bool = False) -> Iterator[str]:
    """A fresh moto server (able to create SAM's stacks if `stacks`); yields its endpoint URL.
    State starts empty (the reset API clears what an earlier server in this process left)."""
    server = MotoServer(stacks).start()
    try:
        server.reset()
        yield server.endpoint
    finally:
        server.stop()


def dynamodb_client(endpoint: str | None, config: Any = None) -> DynamoDBClient:
    """A DynamoDB client of `endpoint` (None: AWS itself) with moto's fake credentials."""
    client: DynamoDBClient = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )
    return client


def create_tables(
    client: DynamoDBClient, names: Mapping[str, str], template: dict[str, Any] | None = None
) -> dict[str, str]:
    """Creates every table the template declares, from its schema, under `names` (logical id
    -> table name, e.g. service_spec.table_names(stage)); returns `names`."""
    declared = service_spec.tables(template)
    missing = sorted({t.resource for t in declared} - set(names))
    if missing:
        raise ValueError(f"no name given for the template's table(s) {', '.join(missing)}")
    for table in declared:
        client.create_table(**table.create_request(names[table.resource]))
    return {t.resource: names[t.resource] for t in declared}
