"""The deploy rehearsal's tests: where they deploy, and one moto server for all of them.

`Target` is the rehearsal's own deploy target (lambda_devkit.rehearsal.deploy.Target) with one
difference: each service's client is made once per endpoint and kept, where the rehearsal makes
a boto3 session and a client on every call. A client costs a quarter of a second to make (its
service model read from botocore's JSON), which was most of a `verify` against moto; what a
client does with the server is the same whether it is new or kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lambda_devkit.moto_server import MotoServer
from lambda_devkit.rehearsal import deploy

# Made clients, by what makes one differ: the endpoint, region, credentials and service.
_clients: dict[tuple[str, str, str, str, str], Any] = {}


@dataclass
class Target(deploy.Target):
    """deploy.Target whose clients are made once (see the module's docstring)."""

    def client(self, service: str) -> Any:
        key = (self.endpoint, self.region, self.access_key, self.secret_key, service)
        if key not in _clients:
            _clients[key] = super().client(service)
        return _clients[key]


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
