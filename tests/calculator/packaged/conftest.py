"""What the tests of the packaged zips share in one pytest process (a batch): the layers built
for this machine's architecture, each unpacked once.

The requirements layer is thousands of files, seconds to unpack; the files that run the zips
(test_packaged_functions.py, test_import_guard.py, test_hung_store.py) take /opt from here, so
a batch of them (tests/calculator/packaged/BUILD) unpacks it once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit.emulator.sandbox import unpack_layers
from lambda_devkit.testing.dist import merge_unpacked, packaged
from lambda_devkit.testing.hung_store import HungStore, hung_store

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


# The file whose check waits for the functions to wait out their time budgets against a hung
# store: its invocations start with the process, and its check runs last.
HUNG_STORE_TESTS = "test_hung_store.py"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The hung store's check after every other test of the process (the order is otherwise
    kept), so that its invocations, started first, run while the others do."""
    items.sort(key=lambda item: item.path.name == HUNG_STORE_TESTS)


@pytest.fixture(scope="session", autouse=True)
def hung_store_answers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HungStore | None]:
    """The hung store's invocations, started before the process's first test when its check is
    among the tests to run (None otherwise): lambda_devkit.testing.hung_store."""
    if not any(item.path.name == HUNG_STORE_TESTS for item in request.session.items):
        yield None
        return
    opt_dir: Path = request.getfixturevalue("opt")
    with hung_store(tmp_path_factory.mktemp("hung"), opt_dir) as running:
        yield running
