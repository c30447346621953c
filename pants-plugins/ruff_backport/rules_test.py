"""End-to-end tests: the real `lint`, `fix` and `fmt` goals running the locked ruff."""

from __future__ import annotations

import json
from pathlib import Path

# pytest comes with the pants requirements (via testutil), which
# dependency inference cannot see through pants_requirements().
import pytest  # pants: no-infer-dep
from pants.backend.python.target_types import PythonSourcesGeneratorTarget, PythonSourceTarget
from pants.backend.python.target_types_rules import rules as python_target_types_rules
from pants.core.goals.fix import Fix
from pants.core.goals.fix import rules as fix_rules
from pants.core.goals.fmt import Fmt
from pants.core.goals.fmt import rules as fmt_rules
from pants.core.goals.lint import Lint, LintResult
from pants.core.goals.lint import rules as lint_rules
from pants.core.util_rules.partitions import Partitions
from pants.engine.addresses import Address
from pants.engine.goal import Goal
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import GoalRuleResult, RuleRunner

from plugin_testing import ENV_INHERIT, pants_toml_args
from ruff_backport import register
from ruff_backport.rules import RuffCheckFieldSet, RuffLintRequest

# The repo's own ruff lockfile, in the test sandbox through a `file` target, so editing it
# reruns these tests.
RUFF_LOCK = "3rdparty/python/ruff.lock"

UNUSED_IMPORT = "import os\nimport sys\n\nprint(sys.argv)\n"
FIXED_UNUSED_IMPORT = "import sys\n\nprint(sys.argv)\n"
BADLY_FORMATTED = "x = {  'a':1 }\n"
FORMATTED = 'x = {"a": 1}\n'
UNSORTED = "import sys\nimport os\n\nprint(os.sep, sys.argv)\n"
CLEAN = "import os\n\nprint(os.sep)\n"


# The build root's config, there for every test, as this repo's pyproject.toml is: config
# discovery must bring it into every sandbox (test_lint_uses_discovered_config).
ROOT_CONFIG = "[tool.ruff.lint]\nselect = ['F']\n"


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    """One runner for the module, so ruff's PEX is built once: each test writes its files to a
    directory of its own and runs the goals on that directory only."""
    runner = RuleRunner(
        rules=[
            *register.rules(),
            *lint_rules(),
            *fix_rules(),
            *fmt_rules(),
            *python_target_types_rules(),
            QueryRule(LintResult, [RuffLintRequest.Batch]),
        ],
        target_types=[PythonSourcesGeneratorTarget, PythonSourceTarget],
    )
    runner.write_files({RUFF_LOCK: Path(RUFF_LOCK).read_text(), "pyproject.toml": ROOT_CONFIG})
    return runner


def _global_args() -> list[str]:
    """Flags that set ruff and pex up as pants.toml does."""
    return [
        f"--python-resolves={json.dumps({'ruff': RUFF_LOCK})}",
        "--ruff-install-from-resolve=ruff",
        "--ruff-requirements=['ruff']",
        *pants_toml_args(),
    ]


def run_goal(
    rule_runner: RuleRunner, goal: type[Goal], directory: str, *args: str
) -> GoalRuleResult:
    """Runs `goal` on every target in `directory`, as `pants <goal> <args> <directory>::` would."""
    return rule_runner.run_goal_rule(
        goal, global_args=_global_args(), args=[*args, f"{directory}::"], env_inherit=ENV_INHERIT
    )


def run_ruff_check(rule_runner: RuleRunner, directory: str, *files: str) -> LintResult:
    """The `ruff check` lint result for `files` in `directory`, whose output the goal only logs."""
    rule_runner.set_options(_global_args(), env_inherit=ENV_INHERIT)
    field_sets = tuple(
        RuffCheckFieldSet.create(rule_runner.get_target(Address(directory, relative_file_path=f)))
        for f in files
    )
    # What the default single-partition partitioner makes, metadata included.
    (partition,) = Partitions.single_partition(field_sets)
    batch = RuffLintRequest.Batch("", partition.elements, partition.metadata)
    return rule_runner.request(LintResult, [batch])


def write_project(rule_runner: RuleRunner, directory: str, files: dict[str, str]) -> None:
    """Writes `files` to `directory` (the test's own) with a python_sources() owning them."""
    rule_runner.write_files(
        {
            f"{directory}/BUILD": "python_sources()",
            **{f"{directory}/{name}": text for name, text in files.items()},
        }
    )


def read(rule_runner: RuleRunner, directory: str, name: str) -> str:
    return Path(rule_runner.build_root, directory, name).read_text()


def test_lint_reports_violation_and_fails(rule_runner: RuleRunner) -> None:
    write_project(rule_runner, "lint_violation", {"bad.py": UNUSED_IMPORT})
    result = run_goal(rule_runner, Lint, "lint_violation")
    assert result.exit_code != 0
    assert "✕ ruff check failed" in result.stderr
    # `ruff check` itself reports the violation; the fixer must not be run again as a linter.
    assert "ruff check --fix" not in result.stderr
    check = run_ruff_check(rule_runner, "lint_violation", "bad.py")
    assert check.exit_code == 1
    assert "F401" in check.stdout
    assert "lint_violation/bad.py" in check.stdout
    # Linting never writes to the workspace.
    assert read(rule_runner, "lint_violation", "bad.py") == UNUSED_IMPORT


def test_fix_rewrites_file(rule_runner: RuleRunner) -> None:
    write_project(rule_runner, "fix", {"bad.py": UNUSED_IMPORT})
    result = run_goal(rule_runner, Fix, "fix", "--only=ruff-check")
    assert result.exit_code == 0
    assert "ruff check --fix made changes" in result.stderr
    assert read(rule_runner, "fix", "bad.py") == FIXED_UNUSED_IMPORT


def test_fix_fails_loudly_when_ruff_errors(rule_runner: RuleRunner) -> None:
    # The defect this plugin replaces: a ruff that rejects its command line must not look like
    # "made no changes". A broken config beside the file (the nearest one, which ruff uses).
    write_project(rule_runner, "fix_error", {"bad.py": UNUSED_IMPORT})
    rule_runner.write_files(
        {"fix_error/pyproject.toml": "[tool.ruff]\nline-length = 'not a number'\n"}
    )
    with pytest.raises(ExecutionError, match="exit code 2"):
        run_goal(rule_runner, Fix, "fix_error", "--only=ruff-check")
    assert read(rule_runner, "fix_error", "bad.py") == UNUSED_IMPORT


def test_fmt_rewrites_file(rule_runner: RuleRunner) -> None:
    write_project(rule_runner, "fmt", {"ugly.py": BADLY_FORMATTED})
    result = run_goal(rule_runner, Fmt, "fmt")
    assert result.exit_code == 0
    assert "ruff format made changes" in result.stderr
    assert read(rule_runner, "fmt", "ugly.py") == FORMATTED


def test_lint_fails_on_unformatted_file(rule_runner: RuleRunner) -> None:
    write_project(rule_runner, "lint_format", {"ugly.py": BADLY_FORMATTED})
    result = run_goal(rule_runner, Lint, "lint_format")
    assert result.exit_code != 0
    assert "✕ ruff format failed" in result.stderr
    assert "✓ ruff check succeeded" in result.stderr
    assert read(rule_runner, "lint_format", "ugly.py") == BADLY_FORMATTED


def test_clean_file_passes(rule_runner: RuleRunner) -> None:
    write_project(rule_runner, "clean", {"clean.py": CLEAN})
    lint = run_goal(rule_runner, Lint, "clean")
    assert lint.exit_code == 0, lint.stderr
    assert "✓ ruff check succeeded" in lint.stderr
    assert "✓ ruff format succeeded" in lint.stderr
    fix = run_goal(rule_runner, Fix, "clean")
    assert fix.exit_code == 0
    assert "made changes" not in fix.stderr
    assert read(rule_runner, "clean", "clean.py") == CLEAN


def test_lint_uses_discovered_config(rule_runner: RuleRunner) -> None:
    # Unsorted but used imports violate only `I`, which the root config leaves out.
    write_project(rule_runner, "config", {"imports.py": UNSORTED})
    assert run_ruff_check(rule_runner, "config", "imports.py").exit_code == 0
    # A ruff.toml beside the file that extends the root pyproject.toml: only if both reach the
    # sandbox does ruff select `I` (and a missing root file would be an error, exit code 2).
    rule_runner.write_files(
        {"config/ruff.toml": "extend = '../pyproject.toml'\n[lint]\nextend-select = ['I']\n"}
    )
    check = run_ruff_check(rule_runner, "config", "imports.py")
    assert check.exit_code == 1, check.stderr
    assert "I001" in check.stdout


def test_skip_fields_opt_targets_out(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "skipped/BUILD": "python_sources(skip_ruff_check=True, skip_ruff_format=True)",
            "skipped/bad.py": UNUSED_IMPORT + BADLY_FORMATTED,
        }
    )
    result = run_goal(rule_runner, Lint, "skipped")
    assert result.exit_code == 0, result.stderr
    assert "ruff" not in result.stderr


def test_refuses_pants_builtin_lockfile(rule_runner: RuleRunner) -> None:
    # Without `[ruff].install_from_resolve`, ruff would come from Pants 2.17's own lockfile,
    # whose ruff predates the `check`/`format` subcommands' being required.
    write_project(rule_runner, "builtin_lockfile", {"clean.py": CLEAN})
    args = [arg for arg in _global_args() if not arg.startswith("--ruff-")]
    with pytest.raises(ExecutionError, match="install_from_resolve"):
        rule_runner.run_goal_rule(
            Lint, global_args=args, args=["builtin_lockfile::"], env_inherit=ENV_INHERIT
        )
