"""A scratch copy of the service's tree, and the checks a tree the scaffold changed must pass."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold import api_edit, prelude
from lambda_devkit.scaffold.layout import layout
from lambda_devkit.scaffold.new_function import NewFunction
from lambda_devkit.scaffold.remove_function import importers


def fresh(stem: str) -> str:
    """A name no function has, nor route uses, even after someone generated `stem` for real."""
    taken = {f.name for f in service_spec.functions()}
    taken |= {r.path.strip("/") for f in service_spec.functions() for r in f.routes}
    return next(n for n in (stem, *(f"{stem}{i}" for i in range(1, 100))) if n not in taken)


def new_functions() -> list[NewFunction]:
    """What the scaffold's tests add: a POST and a GET, each on a route of its own name."""
    return [
        NewFunction(name, method, f"/{name}")
        for name, method in ((fresh("scaffold_post"), "POST"), (fresh("scaffold_get"), "GET"))
    ]


# What a fork adds once every example but one is gone (test_fork.py, test_remove_function.py,
# test_template_lint.py): a POST and a GET.
FORK_FUNCTIONS = [NewFunction("report", "POST", "/report"), NewFunction("status", "GET", "/status")]


def alarm_watching(resource: str) -> str:
    """A template resource, ErrorsWatch, that names no function but refers to `resource`: an
    alarm a team added by hand. The removal command must find it by that reference."""
    return f"""
  ErrorsWatch:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{{Name: FunctionName, Value: !Ref {resource}}}]
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
"""


def with_resources(root: Path, block: str) -> None:
    """Appends `block` (resources, 2-space indented under Resources) to the template's text."""
    text = (root / sam.TEMPLATE).read_text()
    start = text.index("\nOutputs:")
    (root / sam.TEMPLATE).write_text(text[:start] + "\n" + block.rstrip() + "\n" + text[start:])


def copied() -> list[str]:
    """What the scaffold reads and writes, and what the functions' unit tests need to run: the
    service's code and tests (wherever the template says they are, conftest.py included), the
    events, the template and the prelude."""
    where = layout(sam.load())
    package_dir, tests_dir = where.functions_dir.parent, where.tests_dir.parent
    return [
        str(sam.TEMPLATE),
        str(prelude.PRELUDE),
        f"{package_dir}/**/*.py",
        f"{package_dir}/**/BUILD",
        f"{tests_dir}/**/*.py",
        f"{tests_dir}/**/BUILD",
        f"{service_spec.EVENTS_DIR}/*.json",
        # The docs whose tables the scaffold re-renders, and the data of those tables.
        "README.md",
        "docs/**/*.md",
        "tests/calculator/answers.toml",
    ]


def scratch_copy(root: Path) -> Path:
    """The tree's service, as the sandbox of the calling test has it, copied under `root`."""
    for pattern in copied():
        matches = [p for p in Path().glob(pattern) if p.is_file()]
        assert matches, f"{pattern} is not in the test's sandbox"
        for path in matches:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, root / path)
    return root


def function_dirs(root: Path) -> set[str]:
    """Every function directory whose BUILD declares a python_aws_lambda_function."""
    functions_dir = layout(sam.load(root / sam.TEMPLATE)).functions_dir
    return {
        build.parent.name
        for build in (root / functions_dir).glob("*/BUILD")
        if re.search(r"^python_aws_lambda_function\(", build.read_text(), re.MULTILINE)
    }


def drift(root: Path) -> list[str]:
    """How the template, the prelude's list and the BUILD files disagree on the functions, and
    the template and the API's declaration on the routes."""
    loaded = sam.load(root / sam.TEMPLATE)
    functions = service_spec.functions(loaded)
    template = {f.name for f in functions}
    listed = set(prelude.functions(root))
    built = function_dirs(root)
    problems = []
    if listed != template:
        problems.append(f"prelude {sorted(listed)} != template {sorted(template)}")
    if built != template:
        problems.append(f"BUILD files {sorted(built)} != template {sorted(template)}")
    declaration = root / layout(loaded).declaration
    declared = sorted(f"{d.method} {d.path}" for d in api_edit.routes(declaration.read_text()))
    routed = sorted(str(route) for f in functions for route in f.routes)
    if declared != routed:
        problems.append(f"{declaration.relative_to(root)} routes {declared} != template {routed}")
    return problems


def lint(root: Path) -> list[str]:
    """cfn-lint's errors and warnings on the tree's template, as `./pants lint` reports them
    (the CLI's defaults: us-east-1, no experimental or informational rules)."""
    # Imported here: cfn-lint takes seconds to import, which the tests that never lint skip.
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    matches = cfn_lint((root / sam.TEMPLATE).read_text(), config=ManualArgs(regions=["us-east-1"]))
    return [str(m) for m in matches]


def prelude_source_functions(root: Path) -> list[str]:
    tree = ast.parse((root / prelude.PRELUDE).read_text())
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == [prelude.FUNCTIONS_NAME]
    ]
    return list(ast.literal_eval(value))


def run_pytest(root: Path, tests: list[Path], *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on `tests` in the scratch tree: its sources and conftest first, then this test's
    own import path (absolute: the run's working directory is the scratch tree)."""
    path = [str(root / "src/python"), str(root / "tests"), *map(os.path.abspath, sys.path)]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            *args,
            *map(str, tests),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)},
    )


def mentions(root: Path, patterns: list[str]) -> list[str]:
    """`path: match` for every match of the regular expressions `patterns` in the files under
    `root` (a directory, or one file)."""
    compiled = [re.compile(p) for p in patterns]
    found = []
    # Not bytecode a test run left behind: it is the sources', compiled.
    paths = (
        [root]
        if root.is_file()
        else sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    )
    for path in paths:
        text = path.read_text(errors="replace")
        for pattern in compiled:
            found += [f"{path}: {m.group()}" for m in pattern.finditer(text)]
    return found


def imported(function: service_spec.Function) -> bool:
    """Whether code outside the function's own directories imports it (the calculator's
    service tests import some handlers), which the removal command refuses."""
    where = layout(sam.load())
    own = [Path(function.target_dir), where.function_tests_dir(function.name)]
    module = function.handler_module.rsplit(".", 1)[0]
    return bool(importers(Path(), module, own, event=Path(function.event).stem))


def without_importers(root: Path, name: str) -> list[Path]:
    """Deletes, under `root`, the test modules outside the function's own directories that
    import it or load its event fixture (what a fork rewrites for its own functions); returns
    them."""
    function = service_spec.function(name, sam.load(root / sam.TEMPLATE))
    where = layout(sam.load(root / sam.TEMPLATE))
    own = [root / function.target_dir, root / where.function_tests_dir(name)]
    module = function.handler_module.rsplit(".", 1)[0]
    found = importers(root, module, own, event=Path(function.event).stem)
    for path in found:
        (root / path).unlink()
    return found


def traces(name: str) -> list[str]:
    """Patterns of what would name the function `name` anywhere in a tree: its package,
    directory, route, resources, event fixture and zip."""
    function = service_spec.function(name)
    names = [
        function.handler_module.removesuffix(".handler"),
        function.target_dir,
        function.resource,
        function.resource.replace("Function", "LogGroup"),
        str(function.event),
        function.built.parent.name,
    ]
    # A route's path, but not a longer one it starts (/add is not /address).
    routes = [rf"{re.escape(route.path)}(?![\w/-])" for route in function.routes]
    return [*map(re.escape, names), *routes]
