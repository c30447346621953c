"""A fork, made of the scaffold's commands in a scratch copy of the tree, passes the tree's checks.

Removing every example but one and then adding GET and POST functions leaves a tree whose
template, prelude and BUILD files agree, whose remaining and generated functions' unit tests
pass against the shared code, and in which nothing the service ships names what went. (That
the same commands leave a template cfn-lint passes, and that a removed function is named
nowhere, is test_remove_function.py's: it needs no code to run.)
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold.layout import layout
from lambda_devkit.scaffold.new_function import add_function
from lambda_devkit.scaffold.remove_function import remove_function
from lambda_devkit.testing.tree import (
    FORK_FUNCTIONS,
    drift,
    mentions,
    run_pytest,
    scratch_copy,
    traces,
    without_importers,
)

# Every function but one goes (whichever functions the tree has: a fork removes examples);
# the last by name stays (history, in the calculator: what the others write to).
*EXAMPLES, KEPT = [f.name for f in service_spec.functions()]


def checked(root: Path) -> tuple[list[str], Counter[str]]:
    """The scratch tree's checks: its template loads, its lists agree, and its functions' unit
    tests pass; every problem, as text, and how many tests passed per function."""
    template = sam.load(root / sam.TEMPLATE)
    problems = drift(root)
    tests_dir = root / layout(template).tests_dir
    tests = sorted(tests_dir.glob("*/test_*.py"))
    if not tests:
        return [*problems, "no function tests to run"], Counter()
    completed = run_pytest(root, tests, "-rA")  # -rA: a PASSED line per test
    if completed.returncode != 0:
        problems.append(completed.stdout + completed.stderr)
    passed = re.findall(r"^PASSED \S*/([^/]+)/test_\w+\.py::", completed.stdout, re.MULTILINE)
    return problems, Counter(passed)


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree with every example calculation removed, then a GET and a POST function added."""
    root = scratch_copy(tmp_path_factory.mktemp("fork"))
    # A fork replaces the calculator's tests that go through an example (its cross-function
    # behaviour, a route declared on an example's event) with its own; the removal command
    # refuses while they import a handler it would remove or load its event by name.
    for name in EXAMPLES:
        without_importers(root, name)
        remove_function(root, name)
    for new in FORK_FUNCTIONS:
        add_function(root, new)
    return root


def test_without_the_examples_the_post_and_get_scaffolds_give_a_green_tree(forked: Path) -> None:
    problems, passed = checked(forked)
    assert problems == []
    # The generated functions' own unit tests ran against the shared code: the POST template's
    # four and the GET template's three.
    assert [passed[new.name] for new in FORK_FUNCTIONS] == [4, 3], passed
    template = sam.load(forked / sam.TEMPLATE)
    kept = [str(r) for r in service_spec.function(KEPT).routes]
    assert sorted(str(r) for f in service_spec.functions(template) for r in f.routes) == sorted(
        [*kept, "GET /status", "POST /report"]
    )


def test_nothing_the_service_ships_or_declares_names_a_removed_example(forked: Path) -> None:
    # The calculator's cross-function tests (tests/calculator/packaged, .../service) exercise
    # add by name: a fork that removes add rewrites them for its own functions.
    where = layout(sam.load(forked / sam.TEMPLATE))
    shipped_and_declared = [
        forked / where.functions_dir.parent,
        forked / where.tests_dir,
        forked / sam.TEMPLATE,
        forked / service_spec.EVENTS_DIR,
        forked / "pants-plugins",
    ]
    patterns = [trace for name in EXAMPLES for trace in traces(name)]
    found = [m for path in shipped_and_declared for m in mentions(path, patterns)]
    assert found == []


def test_the_tree_itself_declares_the_same_functions_in_template_prelude_and_build_files() -> None:
    assert drift(Path()) == []
