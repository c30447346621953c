"""The `[cfn-lint]` subsystem: cfn-lint from one of the repo's resolves."""

from __future__ import annotations

from pants.backend.python.subsystems.python_tool_base import PythonToolBase
from pants.backend.python.target_types import ConsoleScript
from pants.option.option_types import ArgsListOption, SkipOption
from pants.util.strutil import softwrap


class CfnLint(PythonToolBase):
    """cfn-lint (https://github.com/aws-cloudformation/cfn-lint)."""

    options_scope = "cfn-lint"
    name = "cfn-lint"
    help = "The AWS CloudFormation linter, for CloudFormation and SAM templates."

    default_version = "cfn-lint>=1,<2"
    default_main = ConsoleScript("cfn-lint")
    default_requirements = (default_version,)

    register_interpreter_constraints = True

    # PythonToolBase insists on a built-in lockfile; this plugin ships none and installs cfn-lint
    # from a resolve of the repo instead (`check_usable`), so this path is never read.
    default_lockfile_resource = ("cfn_lint", "cfn-lint.lock")

    skip = SkipOption("lint")
    args = ArgsListOption(example="--ignore-checks W3002")

    def check_usable(self) -> None:
        """Fails with advice unless cfn-lint comes from one of the repo's resolves."""
        if self.install_from_resolve:
            return
        raise ValueError(
            softwrap(
                f"""
                The cfn_lint plugin has no built-in lockfile: set
                `[{self.options_scope}].install_from_resolve` to a resolve that locks cfn-lint
                (this repo: `python-default`).
                """
            )
        )
