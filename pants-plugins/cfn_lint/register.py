"""Pants backend `cfn_lint`: `pants lint` runs cfn-lint on CloudFormation/SAM templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pants.engine.target import Target

from cfn_lint import rules as cfn_lint_rules
from cfn_lint.target_types import CloudFormationTemplatesTarget


def target_types() -> Iterable[type[Target]]:
    """`cloudformation_templates`: template files."""
    return (CloudFormationTemplatesTarget,)


def rules() -> Iterable[Any]:
    """The lint rules and the `[cfn-lint]` subsystem."""
    return cfn_lint_rules.rules()
