"""End-to-end tests: the lint rule running the locked cfn-lint on templates."""

from __future__ import annotations

import json
from pathlib import Path

# pytest comes with the pants requirements (via testutil), which
# dependency inference cannot see through pants_requirements().
import pytest  # pants: no-infer-dep
from pants.core.goals.lint import LintResult
from pants.core.util_rules.partitions import Partitions
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from cfn_lint import register
from cfn_lint.rules import CfnLintFieldSet, CfnLintRequest
from plugin_testing import ENV_INHERIT, pants_toml_args

# The repo's own lockfile, in the test sandbox through a `file` target.
DEFAULT_LOCK = "3rdparty/python/default.lock"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Add:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: lambda_function.handler
      CodeUri: add.zip
"""
# cfn-lint from the lockfile, as pants.toml's [cfn-lint] says.
FROM_RESOLVE = [
    f"--python-resolves={json.dumps({'python-default': DEFAULT_LOCK})}",
    "--cfn-lint-install-from-resolve=python-default",
    "--cfn-lint-requirements=['cfn-lint']",
]


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    """One runner for the module, so cfn-lint's PEX is built once: each test lints a template in
    a directory of its own."""
    runner = RuleRunner(
        rules=[*register.rules(), QueryRule(LintResult, [CfnLintRequest.Batch])],
        target_types=[*register.target_types()],
    )
    runner.write_files({DEFAULT_LOCK: Path(DEFAULT_LOCK).read_text()})
    return runner


def lint(rule_runner: RuleRunner, directory: str, template: str, options: list[str]) -> LintResult:
    """cfn-lint's result on `template`, as `pants lint <directory>:` would get it."""
    rule_runner.set_options([*options, *pants_toml_args()], env_inherit=ENV_INHERIT)
    rule_runner.write_files(
        {
            f"{directory}/template.yaml": template,
            f"{directory}/BUILD": "cloudformation_templates(sources=['template.yaml'])",
        }
    )
    target = rule_runner.get_target(Address(directory))
    (partition,) = Partitions.single_partition([CfnLintFieldSet.create(target)])
    batch = CfnLintRequest.Batch("", partition.elements, partition.metadata)
    return rule_runner.request(LintResult, [batch])


def test_passes_a_valid_template(rule_runner: RuleRunner) -> None:
    result = lint(rule_runner, "valid", TEMPLATE, FROM_RESOLVE)
    assert result.exit_code == 0, result.stdout


def test_rejects_an_unknown_runtime(rule_runner: RuleRunner) -> None:
    template = TEMPLATE.replace("python3.13", "python9.99")
    result = lint(rule_runner, "unknown_runtime", template, FROM_RESOLVE)
    assert result.exit_code != 0
    # One parseable line per finding: file, line and column, then the rule and the message.
    assert "unknown_runtime/template.yaml:7:" in result.stdout
    assert "python9.99" in result.stdout


def test_refuses_to_run_without_a_resolve(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError, match="install_from_resolve"):
        lint(rule_runner, "no_resolve", TEMPLATE, [])
