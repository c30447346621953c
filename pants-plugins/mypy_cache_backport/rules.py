"""Backports pantsbuild/pants#20139 (Pants 2.18.1): mypy's incremental cache survives the run.

Pants runs mypy with `--sqlite-cache` in a fresh sandbox, and its runner script copies the cache
in from the `mypy_cache` named cache before the run and back after it. In 2.17 the script never
creates the per-repository directory it copies back to (`mypy_cache/<sha256 of the build
root>/<python version>/`), so that copy fails silently and every `pants check` after an edit
type-checks the whole closure, third-party stubs included, from nothing (#19888): ~5 s instead of
well under a second for a one-line change here.

Upstream's fix adds one `mkdir -p "$NAMED_CACHE_DIR"` to the script. The script is an f-string
inside the rule, passed through `textwrap.dedent`, which the rule module imports by name; this
backport replaces that module's `dedent` with one that adds the same line.

One deliberate divergence: the script names the cache directory after a hash of the build root,
and the script is an input of the mypy process, so each checkout path was a different process
to a shared remote cache: `check` never hit it from another checkout (docs/remote-cache.md,
"What keeps the cache shareable"). The backport names the directory `any-checkout` instead.
Sharing mypy's cache between checkouts is safe: every run is in a fresh sandbox anyway, and
mypy validates cache entries against the sources' hashes.
"""

from __future__ import annotations

import re
import textwrap

from pants.backend.python.typecheck.mypy import rules as upstream_mypy_rules

# The script's `mkdir -p "$SANDBOX_CACHE_DIR" > /dev/null 2>&1` line, with the resolved mkdir path.
_SANDBOX_CACHE_MKDIR = re.compile(
    r'^(?P<mkdir>\S+) -p "\$SANDBOX_CACHE_DIR"(?P<quiet> > /dev/null 2>&1)$', re.MULTILINE
)

# `NAMED_CACHE_DIR=".cache/mypy_cache/<sha256 of the build root>/<python version>"`.
_PER_BUILD_ROOT_DIR = re.compile(
    r'^(?P<prefix>NAMED_CACHE_DIR="\.cache/mypy_cache/)[0-9a-f]{64}/', re.MULTILINE
)
CHECKOUT_INDEPENDENT_DIR = "any-checkout"


def dedent_creating_named_cache_dir(text: str) -> str:
    """`textwrap.dedent`, plus upstream's fix and a path-free key for the mypy runner script."""
    script = textwrap.dedent(text)
    script = _PER_BUILD_ROOT_DIR.sub(rf"\g<prefix>{CHECKOUT_INDEPENDENT_DIR}/", script)
    return _SANDBOX_CACHE_MKDIR.sub(
        lambda line: f'{line[0]}\n{line["mkdir"]} -p "$NAMED_CACHE_DIR"{line["quiet"]}', script
    )


def install() -> None:
    upstream_mypy_rules.dedent = dedent_creating_named_cache_dir  # type: ignore[attr-defined]
