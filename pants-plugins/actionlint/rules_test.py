"""End-to-end tests: the lint rule running the pinned actionlint binary on workflow files."""

from __future__ import annotations

# pytest comes with the pants requirements (via testutil), which
# dependency inference cannot see through pants_requirements().
import pytest  # pants: no-infer-dep
from pants.core.goals.lint import LintResult
from pants.core.util_rules.partitions import Partitions
from pants.engine.addresses import Address
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from actionlint import register
from actionlint.rules import ActionlintFieldSet, ActionlintRequest
from plugin_testing import ENV_INHERIT, lint_tool_args

VALID = """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: "./pants test ::"
"""


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    """One runner for the module: each test lints a workflow in a directory of its own."""
    runner = RuleRunner(
        rules=[*register.rules(), QueryRule(LintResult, [ActionlintRequest.Batch])],
        target_types=[*register.target_types()],
    )
    runner.set_options(lint_tool_args("actionlint"), env_inherit=ENV_INHERIT)
    return runner


def lint(rule_runner: RuleRunner, directory: str, workflow: str) -> LintResult:
    """actionlint's result on `workflow`, as `pants lint <directory>:` would get it."""
    rule_runner.write_files(
        {f"{directory}/ci.yml": workflow, f"{directory}/BUILD": "github_workflows()"}
    )
    target = rule_runner.get_target(Address(directory))
    (partition,) = Partitions.single_partition([ActionlintFieldSet.create(target)])
    batch = ActionlintRequest.Batch("", partition.elements, partition.metadata)
    return rule_runner.request(LintResult, [batch])


def test_passes_a_valid_workflow(rule_runner: RuleRunner) -> None:
    result = lint(rule_runner, "valid/workflows", VALID)
    assert result.exit_code == 0, result.stdout


def test_rejects_an_unknown_runner_label(rule_runner: RuleRunner) -> None:
    workflow = VALID.replace("ubuntu-24.04", "ubuntu-nonesuch")
    result = lint(rule_runner, "label/workflows", workflow)
    assert result.exit_code == 1
    assert 'label/workflows/ci.yml:4:14: label "ubuntu-nonesuch" is unknown' in result.stdout


def test_rejects_an_undefined_expression(rule_runner: RuleRunner) -> None:
    workflow = VALID.replace("./pants test ::", "echo ${{ secret.TOKEN }}")
    result = lint(rule_runner, "expression/workflows", workflow)
    assert result.exit_code == 1
    assert 'undefined variable "secret"' in result.stdout
