"""The template the scaffold's commands write is one cfn-lint passes, as `./pants lint` runs it.

On the template alone (the commands' template edits, on a copy of infra/template.yaml): it
reads none of the service's code, so an edit of the API or the logic does not rerun these,
whose cfn-lint takes seconds. What the commands write elsewhere is test_new_function.py's and
test_remove_function.py's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold.layout import layout, load_template
from lambda_devkit.scaffold.new_function import NewFunction, template_with
from lambda_devkit.scaffold.remove_function import template_without
from lambda_devkit.testing.tree import (
    FORK_FUNCTIONS,
    alarm_watching,
    lint,
    new_functions,
    with_resources,
)


def template_copy(root: Path) -> Path:
    (root / sam.TEMPLATE).parent.mkdir(parents=True)
    shutil.copy(sam.TEMPLATE, root / sam.TEMPLATE)
    return root


def add(root: Path, new: NewFunction) -> None:
    text, template = load_template(root)
    (root / sam.TEMPLATE).write_text(template_with(text, new, layout(template)))


def test_new_functions_beside_the_examples_lint_clean(tmp_path: Path) -> None:
    # The template test_new_function.py's `generated` tree holds.
    root = template_copy(tmp_path)
    added = new_functions()
    for new in added:
        add(root, new)
    assert {f.name for f in service_spec.functions(sam.load(root / sam.TEMPLATE))} >= {
        new.name for new in added
    }
    assert lint(root) == []


def test_every_example_removed_then_a_get_and_a_post_added_lint_clean(tmp_path: Path) -> None:
    # A fork's template (test_fork.py makes that tree with the commands and runs its tests),
    # with an alarm added by hand on the first example, which must go with it.
    root = template_copy(tmp_path)
    *examples, kept = service_spec.functions(sam.load(root / sam.TEMPLATE))
    with_resources(root, alarm_watching(examples[0].resource))
    for function in examples:
        text, template = load_template(root)
        edited, _ = template_without(text, template, function.resource)
        (root / sam.TEMPLATE).write_text(edited)
    for new in FORK_FUNCTIONS:
        add(root, new)
    after = sam.load(root / sam.TEMPLATE)
    assert [f.name for f in service_spec.functions(after)] == [
        kept.name,
        *(new.name for new in FORK_FUNCTIONS),
    ]
    assert "ErrorsWatch" not in after["Resources"]
    assert lint(root) == []
