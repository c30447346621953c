"""What the tests of the packaged zips share in one pytest process (a batch): the layers built
for this machine's architecture, each unpacked once.

The requirements layer is thousands of files, seconds to unpack; the files that run the zips
(test_packaged_functions.py, test_import_guard.py, test_hung_store.py) take /opt from here, so
a batch of them (tests/calculator/packaged/BUILD) unpacks it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit.emulator.sandbox import unpack_layers
from lambda_devkit.testing.dist import merge_unpacked, packaged

# The layers the template gives every function on this machine's architecture, in its order
# (the shared layer first, then the requirements layer).
LAYERS = [packaged(p) for p in service_spec.built_layers(service_spec.host_architecture())]


@pytest.fixture(scope="session")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Each layer unpacked once, alone: the /opt of a container that has only that layer, and
    what the /opt of those that have all of them is merged from. Read-only, as Lambda's /opt."""
    return {layer: unpack_layers(tmp_path_factory.mktemp("layer"), [layer]) for layer in LAYERS}


@pytest.fixture(scope="session")
def opt(tmp_path_factory: pytest.TempPathFactory, unpacked: dict[Path, Path]) -> Path:
    """Every layer, merged in the template's order: the /opt of a function as deployed."""
    return merge_unpacked(tmp_path_factory.mktemp("opt"), [unpacked[layer] for layer in LAYERS])
