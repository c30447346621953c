"""`./pants run src/python/lambda_devkit/scaffold/remove_function.py -- NAME`: the reverse of new_function.py.

Removes a Lambda function everywhere it is declared:

- its handler directory and its tests directory (whole), and tests/events/NAME.json;
- its routes from the service's API declaration (<package>/shared/api.py), with the imports
  only they used;
- from the template: the function and every entry that belongs only to it, found by
  references, not names (its log group, its alarms, a parameter or an output only it uses);
- NAME from the BUILD prelude's function list (pants-plugins/build_prelude.py);
- the docs' function tables, if the tree has lambda_devkit/docs_tables.py.

It refuses, writing nothing, a name the template does not deploy, the last function (a service
of none has nothing for the scaffold to add to), and a function that other code imports (a
shared module, another test) or that a template entry names along with other functions.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from lambda_devkit import docs_tables, service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold import api_edit, prelude
from lambda_devkit.scaffold.api_edit import ApiEditRefused
from lambda_devkit.scaffold.layout import (
    Refused,
    layout,
    load_template,
    refuse_api_edit,
    refuse_edit,
    update_docs,
)
from lambda_devkit.scaffold.prelude import PreludeRefused
from lambda_devkit.scaffold.sam_edit import EditRefused, Entry, owned_by, remove_entries
from lambda_devkit.testing import answers

TEMPLATE = sam.TEMPLATE
PRELUDE = prelude.PRELUDE
# Where other code could import a function from: everything Python of the tree but its own.
SEARCHED = ("src", "tests", "pants-plugins")

__all__ = ["Refused", "main", "remove_function", "template_without"]


def importers(root: Path, module: str, own: list[Path], event: str | None = None) -> list[Path]:
    """Python files outside `own` that import `module` (or from it), and test files that load
    the event fixture named `event` by name (`load_event("add", ...)`), which the removal
    deletes."""
    imports = re.compile(rf"^\s*(from|import)\s+{re.escape(module)}\b", re.MULTILINE)
    loads = re.compile(rf"\bload_event\(\s*[\"']{re.escape(event or '')}[\"']")
    found = []
    for top in SEARCHED:
        for path in sorted((root / top).rglob("*.py")):
            if any(path.is_relative_to(o) for o in own):
                continue
            text = path.read_text(errors="replace")
            if imports.search(text) or (event and top == "tests" and loads.search(text)):
                found.append(path.relative_to(root))
    return found


def template_without(text: str, template: dict[str, Any], resource: str) -> tuple[str, list[Entry]]:
    """The template's text without the function `resource` and what only it uses or what refers
    to it, and the entries removed. Raises EditRefused for a resource it cannot take apart."""
    entries = sorted(
        owned_by(template, resource, keep_types=[sam.FUNCTION]), key=lambda e: (e[0], e[1])
    )
    return remove_entries(text, entries), entries


def remove_function(root: Path, name: str) -> tuple[list[Path], list[Entry]]:
    """Removes `name` under `root`; returns the paths removed or changed, and the template
    entries removed. Everything is checked before the first file changes."""
    text, template = load_template(root)
    where = layout(template)
    declared = {f.name: f for f in service_spec.functions(template)}
    if name not in declared:
        known = ", ".join(sorted(declared)) or "none"
        raise Refused(f"the template deploys no function {name!r} (it deploys: {known})")
    if len(declared) == 1:
        raise Refused(
            f"{name!r} is the last function: a service needs one (add another with "
            "new_function.py first)"
        )
    function = declared[name]
    source_dir = root / function.target_dir
    tests_dir = root / where.function_tests_dir(name)
    event = root / function.event
    package = function.handler_module.rsplit(".", 1)[0]
    users = importers(root, package, [source_dir, tests_dir], event=Path(function.event).stem)
    code = [str(p) for p in users if p.parts[0] != "tests"]
    tests = [str(p) for p in users if p.parts[0] == "tests"]
    if users:
        reasons = []
        if code:
            reasons.append(f"{', '.join(code)} import it: move what they use to shared code")
        if tests:
            reasons.append(
                f"{', '.join(tests)} test through it: point them at another function, or "
                "delete them (git rm)"
            )
        raise Refused(f"{package} is still used. {'; '.join(reasons)}; then run this again")
    try:
        names = prelude.functions(root)
        edited, entries = template_without(text, template, function.resource)
        api_source = (root / where.declaration).read_text()
        for route in function.routes:
            api_source = api_edit.remove_route(api_source, route.method, route.path)
    except EditRefused as error:
        raise refuse_edit(error) from None
    except ApiEditRefused as error:
        raise refuse_api_edit(where, error) from None
    except PreludeRefused as error:
        raise Refused(str(error)) from None
    changed = [p for p in (source_dir, tests_dir, event) if p.exists()]
    for path in changed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    (root / TEMPLATE).write_text(edited)
    (root / where.declaration).write_text(api_source)
    prelude.write_functions(root, [n for n in names if n != name])
    # The documented requests to its routes go too: no route answers them any more.
    routes = {route.path for route in function.routes}
    data = [p for p in docs_tables.answer_files(root) if answers.drop_paths(p, routes)]
    docs = [*data, *update_docs(root)]
    return [*changed, root / where.declaration, root / TEMPLATE, root / PRELUDE, *docs], entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the function to remove, as the template names its zip")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the build root")
    args = parser.parse_args(argv)
    try:
        changed, entries = remove_function(args.root, args.name)
    except Refused as refusal:
        print(f"remove_function: {refusal}", file=sys.stderr)
        return 2
    declaration = layout(load_template(args.root)[1]).declaration
    print(f"Removed function {args.name!r}:")
    for path in changed:
        print(f"  {path.relative_to(args.root)}")
    print(f"  from {TEMPLATE}: {', '.join(f'{s}.{n}' for s, n in entries)}")
    print(
        "Next: a removed route breaks its clients, so bump the API's major version (its\n"
        "VERSION, in the API's declaration; docs/api-contract.md):\n"
        f"  ./pants run src/python/lambda_devkit/openapi/main.py -- bump major {declaration}\n"
        "then\n"
        "  ./pants package :: && ./pants run src/python/lambda_devkit/openapi/main.py -- update\n"
        "then ./pants tailor --check update-build-files --check lint check test package ::"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
