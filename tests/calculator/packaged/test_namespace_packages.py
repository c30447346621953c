"""Guards the namespace packages that several artifacts share (`calculator`, `calculator.functions`).

Lambda puts the function zip (/var/task) before the layers (/opt/python) on `sys.path`. A package
split across both only imports as a whole while it is a namespace package: once one artifact
ships its `__init__.py`, Python takes that directory alone as the package and every module the
other artifacts hold under it (e.g. `calculator.shared`) stops existing. Nothing else would say
so before Lambda does, on every function at once.
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.testing.dist import packaged

# The layer prefix Lambda strips: /opt/python is on sys.path, not /opt.
LAYER_PREFIX = "python/"


def package_dirs(archive: Path) -> dict[str, bool]:
    """Each directory holding Python code in `archive` (as an import path), and whether it ships
    an `__init__.py`."""
    dirs: dict[str, bool] = {}
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if not name.endswith(".py"):
                continue
            path = name.removeprefix(LAYER_PREFIX).split("/")
            for depth in range(1, len(path)):
                directory = "/".join(path[:depth])
                dirs[directory] = dirs.get(directory, False)
            if path[-1] == "__init__.py" and len(path) > 1:
                dirs["/".join(path[:-1])] = True
    return dirs


def split_regular_packages(archives: list[Path]) -> list[str]:
    """Explanations for every package directory two artifacts share where one has __init__.py."""
    contents = {archive: package_dirs(archive) for archive in archives}
    problems = []
    for first, second in itertools.combinations(archives, 2):
        for directory in sorted(contents[first].keys() & contents[second].keys()):
            owners = [a for a in (first, second) if contents[a][directory]]
            for owner in owners:
                problems.append(
                    f"{owner} ships {directory}/__init__.py, but `{directory.replace('/', '.')}` is "
                    f"split between {first} and {second}: Lambda would import it from one of them "
                    "only, and everything under it in the other would disappear. Keep it a "
                    "namespace package (no __init__.py), as README 'Architecture' says."
                )
    return problems


def test_packages_split_across_artifacts_stay_namespace_packages() -> None:
    # The packaged artifacts the template deploys, but the third-party layers.
    archives = sorted(
        packaged(a.built) for a in sam.artifacts(sam.load()) if "requirements" not in a.built.name
    )
    # Every function zip and the shared layer, however many functions the template deploys.
    assert len(archives) >= len(service_spec.functions()) + 1, archives
    assert split_regular_packages(archives) == []


def test_the_guard_names_an_init_file_that_splits_a_package(tmp_path: Path) -> None:
    function, layer = tmp_path / "function.zip", tmp_path / "layer.zip"
    with zipfile.ZipFile(function, "w") as zf:
        zf.writestr("calculator/__init__.py", "")
        zf.writestr("calculator/functions/add/handler.py", "")
    with zipfile.ZipFile(layer, "w") as zf:
        zf.writestr("python/calculator/shared/api.py", "")
    (problem,) = split_regular_packages([function, layer])
    assert problem.startswith(f"{function} ships calculator/__init__.py, but `calculator` is split")
