"""moto in server mode on 127.0.0.1, as the rehearsal's AWS endpoint."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from moto.awslambda.models import LayerVersion
from moto.server import ThreadedMotoServer


def _layer_version_ref_is_its_arn() -> None:
    # CloudFormation resolves `Ref` on an AWS::Lambda::LayerVersion to the version's ARN. moto
    # (5.2) gives the model object instead, which makes every stack update of a function with
    # layers fail inside moto. Give the model the physical id CloudFormation would report.
    if not hasattr(LayerVersion, "physical_resource_id"):
        LayerVersion.physical_resource_id = property(lambda self: self.arn)  # type: ignore[attr-defined]


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """A fresh moto server; yields its endpoint URL. State starts empty (moto keeps it per
    process, so the server's reset API clears what an earlier server left)."""
    _layer_version_ref_is_its_arn()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
        yield endpoint
    finally:
        server.stop()
