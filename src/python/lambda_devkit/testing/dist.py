"""The one dist/ layout of tests: what Pants built, copied under a build root of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambda_devkit import template as sam


def lay_out_dist(root: Path, template: dict[str, Any] | None = None) -> Path:
    """Every zip the template deploys, from where a test's runtime_package_dependencies put it
    (the sandbox's dist/, flattened) to `root`/dist/..., as `./pants package ::` writes it;
    free to rebuild or delete. Returns `root`."""
    for artifact in sam.artifacts(template or sam.load()):
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifact.built.read_bytes())
    return root
