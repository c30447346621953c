"""The one dist/ layout of tests: what Pants built, found and copied under a build root of their own.

Under `./pants test`, a test's runtime_package_dependencies put each package in its sandbox at
its path relative to dist/. Plain pytest in a checkout (an IDE, the inner-loop benchmark's
baseline) finds the same files in dist/, as `./pants package ::` wrote them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambda_devkit import template as sam

DIST = Path("dist")


def packaged(relative: Path) -> Path:
    """A package's file, given its path relative to dist/: in the sandbox, or under dist/."""
    if not relative.exists() and (DIST / relative).exists():
        return DIST / relative
    return relative


def lay_out_dist(root: Path, template: dict[str, Any] | None = None) -> Path:
    """Every zip the template deploys, from where a test's runtime_package_dependencies put it
    (the sandbox's dist/, flattened) to `root`/dist/..., as `./pants package ::` writes it;
    free to rebuild or delete. Returns `root`."""
    for artifact in sam.artifacts(template or sam.load()):
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(packaged(artifact.built).read_bytes())
    return root
