"""The library's dependency rule holds: any of its modules that imports the calculator fails.

Pants' own engine (a RuleRunner, in process) reads the library's real BUILD file and its real
modules, each with an import of the calculator appended, and infers their dependencies as
`./pants dependencies` does: each must fail on the rule in lambda_http/BUILD, a bare
`import calculator` too (the namespace package's name is owned by an empty stub, as in
src/python/calculator/BUILD).
"""

from __future__ import annotations

from pathlib import Path

import pytest  # pants: no-infer-dep (pytest comes with pants.testutil)
from pants.backend.project_info import dependencies
from pants.backend.python.dependency_inference import rules as dependency_inference_rules
from pants.backend.python.target_types import (
    PythonRequirementTarget,
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
)
from pants.backend.python.target_types_rules import rules as python_target_types_rules
from pants.backend.visibility.rules import rules as visibility_rules
from pants.core.target_types import FilesGeneratorTarget, FileTarget, ResourceTarget
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import RuleRunner

from plugin_testing import ENV_INHERIT, pants_toml_args, python_infer_args

LIBRARY = Path("src/python/lambda_http")
MODULES = sorted(p.name for p in LIBRARY.glob("*.py"))


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *dependencies.rules(),
            *dependency_inference_rules.rules(),
            *python_target_types_rules(),
            *visibility_rules(),
        ],
        target_types=[
            PythonSourcesGeneratorTarget,
            PythonSourceTarget,
            PythonRequirementTarget,
            ResourceTarget,
            FileTarget,
            FilesGeneratorTarget,
        ],
    )
    runner.write_files(
        {
            **{str(LIBRARY / m): (LIBRARY / m).read_text() for m in MODULES},
            str(LIBRARY / "py.typed"): "",
            str(LIBRARY / "BUILD"): (LIBRARY / "BUILD").read_text(),
            # What the library may use: its locked requirements.
            "3rdparty/python/BUILD": (
                'python_requirement(name="powertools", requirements=["aws-lambda-powertools"])'
            ),
            # A module of the calculator, and its namespace package's stub, as the service has them.
            "src/python/calculator/shared/models.py": "",
            "src/python/calculator/shared/BUILD": "python_sources()",
            "src/python/calculator/__init__.pyi": "",
            "src/python/calculator/BUILD": 'python_sources(name="namespace")',
        }
    )
    return runner


def options() -> list[str]:
    """pants.toml's settings that inference needs (a goal rule takes its options afresh)."""
    return [
        "--source-root-patterns=['/src/python']",
        "--python-infer-unowned-dependency-behavior=error",
        *pants_toml_args(),
        *python_infer_args(),
    ]


def dependencies_of(rule_runner: RuleRunner, module: str) -> str:
    result = rule_runner.run_goal_rule(
        dependencies.Dependencies,
        global_args=options(),
        args=[str(LIBRARY / module)],
        env_inherit=ENV_INHERIT,
    )
    assert result.exit_code == 0
    return result.stdout


def test_the_library_as_it_is_passes_its_rule(rule_runner: RuleRunner) -> None:
    assert MODULES, f"no modules under {LIBRARY}: the test's sandbox lacks the library"
    for module in MODULES:
        assert "calculator" not in dependencies_of(rule_runner, module)


@pytest.mark.parametrize(
    "appended",
    [
        "import calculator.shared.models",
        "from calculator.shared import models",
        "import calculator",
    ],
)
def test_appending_an_import_of_the_calculator_to_any_module_fails(
    rule_runner: RuleRunner, appended: str
) -> None:
    for module in MODULES:
        path = str(LIBRARY / module)
        original = (LIBRARY / module).read_text()
        rule_runner.write_files({path: f"{original}\n{appended}\n"})
        try:
            with pytest.raises(ExecutionError, match="DependencyRuleActionDeniedError"):
                dependencies_of(rule_runner, module)
        finally:
            rule_runner.write_files({path: original})
