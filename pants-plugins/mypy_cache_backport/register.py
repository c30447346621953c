"""Pants backend `mypy_cache_backport`: Pants 2.18.1's fix that lets mypy's cache persist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from packaging.version import Version
from pants.version import PANTS_SEMVER

from mypy_cache_backport import rules as backport

# The first release with pantsbuild/pants#20139.
FIXED_UPSTREAM_IN = Version("2.18.1")


def rules() -> Iterable[Any]:
    if PANTS_SEMVER >= FIXED_UPSTREAM_IN:
        raise RuntimeError(
            f"Pants {PANTS_SEMVER} persists mypy's cache itself: remove `mypy_cache_backport` "
            "from [GLOBAL].backend_packages and delete pants-plugins/mypy_cache_backport/."
        )
    backport.install()
    return ()
