"""Pants backend `actionlint`: `pants lint` runs actionlint on GitHub Actions workflows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pants.engine.target import Target

from actionlint import rules as actionlint_rules
from actionlint.target_types import GithubWorkflowsTarget


def target_types() -> Iterable[type[Target]]:
    """`github_workflows`: the workflow files of `.github/workflows/`."""
    return (GithubWorkflowsTarget,)


def rules() -> Iterable[Any]:
    """The lint rules and the `[actionlint]` subsystem."""
    return actionlint_rules.rules()
