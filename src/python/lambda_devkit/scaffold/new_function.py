"""`./pants run src/python/lambda_devkit/scaffold/new_function.py -- NAME [--method GET|POST] [--path /p]`.

Adds a Lambda function to the service, everywhere it must be declared, and nowhere else:

- <functions dir>/NAME/handler.py and BUILD, <tests dir>/NAME/test_handler.py and BUILD, and
  tests/events/NAME.json, rendered from the files in scaffold/templates/;
- its route, declared in the service's API (<package>/shared/api.py: method, path, operation
  name, summary, body), which the handler serves and the OpenAPI document is built from;
- its template resources (scaffold/templates/resources.yaml: the function with its route, its
  log group), appended under the template's Resources, with no table access;
- NAME in the BUILD prelude's function list (pants-plugins/build_prelude.py), which puts its
  zip in every test that runs the packaged artifacts;
- the docs' function tables, if the tree has lambda_devkit/docs_tables.py.

Where functions live, the service's package and its API are read from the template, so the
command works whichever functions exist. The smoke, property and route tests, the cold-start
benchmark, the rehearsal and the local server read the template too, so the new function is
in all of them. When its code uses a table, grant the action in its template resource (the
smoke test says which). The reverse is remove_function.py.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold import api_edit, prelude
from lambda_devkit.scaffold.api_edit import ApiEditRefused
from lambda_devkit.scaffold.layout import (
    Layout,
    Refused,
    layout,
    load_template,
    refuse_api_edit,
    refuse_edit,
    update_docs,
)
from lambda_devkit.scaffold.prelude import PreludeRefused
from lambda_devkit.scaffold.sam_edit import EditRefused, append_resources
from lambda_http.declaration import default_operation_id

TEMPLATE = sam.TEMPLATE
PRELUDE = prelude.PRELUDE
# Short enough that every generated line fits in 100 columns.
NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")
PATH = re.compile(r"(/[a-z0-9_-]+)+")

__all__ = ["NewFunction", "Refused", "add_function", "main", "template_with"]


class _Template(string.Template):
    # `%{name}`, not `${name}`: the SAM template's own `!Sub` strings use `${...}`.
    delimiter = "%"


def render(file: str, values: Mapping[str, str]) -> str:
    """The file scaffold/templates/`file` with its `%{key}` placeholders filled in."""
    text = (
        resources.files("lambda_devkit.scaffold").joinpath("templates").joinpath(file).read_text()
    )
    return _Template(text).substitute(values)


@dataclass(frozen=True)
class NewFunction:
    name: str
    method: str
    path: str

    @property
    def pascal(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def constant(self) -> str:
        """The name its route is bound to in the API's declaration, e.g. SUBTRACT."""
        return self.name.upper()

    def values(self, where: Layout) -> dict[str, str]:
        return {
            "name": self.name,
            "constant": self.constant,
            "method_lower": self.method.lower(),
            "operation_id": default_operation_id(self.method, self.path),
            # A POST reads the calculation routes' body, which the generated handler echoes,
            # and writes: it takes an Idempotency-Key, kept in the table (lambda_http.idempotency).
            "body": "\n    body=Operands,\n    writes=True," if self.method == "POST" else "",
            "policies": POST_POLICIES.format(table=where.table) if self.method == "POST" else "",
            "pascal": self.pascal,
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "package": where.package,
            "service": where.service,
            "api": where.api,
            "dist_dir": where.dist_dir(self.name),
            "request_id": f"{self.name[:12]}-0000001",
        }


# What a POST's idempotency keys need of the table: each claim, completion and release is a
# conditional put.
POST_POLICIES = """
    Policies:
      - Statement:
          - Effect: Allow
            Action: [dynamodb:PutItem]
            Resource: !GetAtt {table}.Arn"""


def event_source(new: NewFunction, where: Layout) -> str:
    event = json.loads(render("event.json.tmpl", new.values(where)))
    if new.method == "POST":  # the operands the generated test echoes
        event["body"] = json.dumps({"a": 1, "b": 2})
    return json.dumps(event, indent=2) + "\n"


def resources_block(new: NewFunction, where: Layout) -> str:
    """The function's template resources, without the file's leading comment."""
    lines = render("resources.yaml.tmpl", new.values(where)).split("\n")
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines)


def template_with(text: str, new: NewFunction, where: Layout) -> str:
    """The template's text with `new`'s resources appended under Resources."""
    return append_resources(text, resources_block(new, where))


def check(root: Path, new: NewFunction, template: dict[str, Any], where: Layout) -> None:
    if not NAME.fullmatch(new.name) or keyword.iskeyword(new.name):
        raise Refused(
            f"{new.name!r} is not a function name: lower case letters, digits and _, starting "
            "with a letter, at most 20 characters, not a Python keyword"
        )
    if new.method not in ("GET", "POST"):
        raise Refused(f"{new.method!r} is not a method the scaffold writes: GET or POST")
    if new.method == "POST" and where.table is None:
        raise Refused(
            f"{sam.TEMPLATE}: a POST keeps its idempotency keys in the service's table, and the "
            "template has no single AWS::DynamoDB::Table"
        )
    if not PATH.fullmatch(new.path):
        raise Refused(f"{new.path!r} is not a path: /segment[/segment...], lower case")
    existing = service_spec.functions(template)
    resource_ids = (f"{new.pascal}Function", f"{new.pascal}LogGroup")
    clashes = [
        (new.name in {f.name for f in existing}, "the template deploys it"),
        ((root / where.function_dir(new.name)).exists(), f"{where.function_dir(new.name)} exists"),
        ((root / service_spec.EVENTS_DIR / f"{new.name}.json").exists(), "its event exists"),
        (new.name in prelude.functions(root), f"{PRELUDE} lists it"),
        (
            any(k in template["Resources"] for k in resource_ids),
            f"{' or '.join(resource_ids)} is in {TEMPLATE}",
        ),
    ]
    for clash, why in clashes:
        if clash:
            raise Refused(f"a function {new.name!r} exists already ({why})")
    taken = {str(route): f.name for f in existing for route in f.routes}
    if new.route in taken:
        raise Refused(f"{new.route} is {taken[new.route]}'s route already")
    declaration = (root / where.declaration).read_text()
    if new.route in {f"{d.method} {d.path}" for d in api_edit.routes(declaration)}:
        raise Refused(f"{where.declaration} declares {new.route} already")
    if new.constant in api_edit.bound_names(declaration):
        raise Refused(f"{where.declaration} binds {new.constant} already")


def write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x") as file:  # never overwrite
        file.write(text)


def add_function(root: Path, new: NewFunction) -> list[Path]:
    """Adds `new` under `root`; returns the files it created or changed. Everything is
    checked and rendered before the first file is written."""
    text, template = load_template(root)
    where = layout(template)
    values = new.values(where)
    try:
        check(root, new, template, where)
        names = prelude.functions(root)
        edited = template_with(text, new, where)
        declared = api_edit.add_route(
            (root / where.declaration).read_text(),
            render("route.py.tmpl", values),
            {"Operands": f"{where.package}.shared.models"} if new.method == "POST" else {},
        )
    except EditRefused as error:
        raise refuse_edit(error) from None
    except ApiEditRefused as error:
        raise refuse_api_edit(where, error) from None
    except PreludeRefused as error:
        raise Refused(str(error)) from None
    source_dir = root / where.function_dir(new.name)
    tests_dir = root / where.function_tests_dir(new.name)
    files = {
        source_dir / "handler.py": render(f"handler_{new.method}.py.tmpl", values),
        source_dir / "BUILD": render("function.BUILD.tmpl", values),
        tests_dir / "test_handler.py": render(f"test_handler_{new.method}.py.tmpl", values),
        tests_dir / "BUILD": render("tests.BUILD.tmpl", values),
        root / service_spec.EVENTS_DIR / f"{new.name}.json": event_source(new, where),
    }
    for path, content in files.items():
        write_new(path, content)
    (root / TEMPLATE).write_text(edited)
    (root / where.declaration).write_text(declared)
    prelude.write_functions(root, [*names, new.name])
    docs = update_docs(root)
    return [*files, root / where.declaration, root / TEMPLATE, root / PRELUDE, *docs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the function's name, e.g. subtract (lower case, _ allowed)")
    parser.add_argument("--method", choices=["GET", "POST"], default="GET")
    parser.add_argument("--path", help="the route's path (default: /NAME)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the build root")
    args = parser.parse_args(argv)
    new = NewFunction(args.name, args.method, args.path or f"/{args.name}")
    try:
        changed = add_function(args.root, new)
    except Refused as refusal:
        print(f"new_function: {refusal}", file=sys.stderr)
        return 2
    print(f"Added {new.route} as function {new.name!r}:")
    for path in changed:
        print(f"  {path.relative_to(args.root)}")
    print(
        "Next: the new route joins the API contract (docs/api-contract.md):\n"
        "  ./pants package :: && ./pants run src/python/lambda_devkit/openapi/main.py -- update\n"
        "then ./pants tailor --check update-build-files --check lint check test package ::\n"
        "and write what the function does in its handler.py and test_handler.py, and its\n"
        "summary, body and response types in the API's declaration."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
