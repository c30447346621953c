"""Each requirements layer carries native code for its own Lambda architecture only.

The runtime requirements are pure Python today (lambda_http.validation replaced pydantic
and its native core, docs/decisions/0007-own-request-validation.md); the layers are still built
per architecture, so that a requirement with native code needs no change to the template. A
native package must be declared in NATIVE_PACKAGES, and is then checked for its architecture.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit.testing.dist import packaged

# ELF e_machine values: EM_X86_64 and EM_AARCH64.
ELF_MACHINES = {"x86_64": 62, "arm64": 183}
# Top-level packages of the requirements layers that carry shared libraries: none.
NATIVE_PACKAGES: frozenset[str] = frozenset()


def native_libraries(layer: Path) -> dict[str, int]:
    """Every shared library in the layer, with the ELF machine it was built for."""
    machines = {}
    with zipfile.ZipFile(layer) as archive:
        for name in archive.namelist():
            if name.endswith(".so") or ".so." in name:
                header = archive.open(name).read(20)
                assert header[:4] == b"\x7fELF", name
                (machines[name],) = struct.unpack_from("<H", header, 18)
    return machines


def requirements_layer(architecture: str) -> Path:
    """The one layer the template builds for `architecture` alone."""
    (layer,) = service_spec.native_layers(architecture)
    return packaged(layer.built)


@pytest.mark.parametrize("architecture", sorted(ELF_MACHINES))
def test_native_libraries_match_the_layer_architecture(architecture: str) -> None:
    libraries = native_libraries(requirements_layer(architecture))
    packages = {name.split("/")[1].split(".")[0] for name in libraries}
    assert packages == NATIVE_PACKAGES, (
        f"native code in {sorted(packages)}, expected in {sorted(NATIVE_PACKAGES)}: a new "
        "native requirement must be declared in NATIVE_PACKAGES"
    )
    assert all(name.startswith("python/") for name in libraries)
    assert set(libraries.values()) <= {ELF_MACHINES[architecture]}, libraries


def test_layers_differ_only_where_native_code_differs() -> None:
    def entries(architecture: str) -> set[str]:
        with zipfile.ZipFile(requirements_layer(architecture)) as archive:
            return set(archive.namelist())

    x86, arm = entries("x86_64"), entries("arm64")
    native = tuple(f"python/{package}" for package in NATIVE_PACKAGES)
    assert {n for n in x86 ^ arm if not n.startswith(native) and ".dist-info" not in n} == set()
