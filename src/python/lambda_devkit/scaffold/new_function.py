"""`./pants run src/python/lambda_devkit/scaffold/new_function.py -- NAME [--method GET|POST] [--path /p]`.

Adds a Lambda function to the service, everywhere it must be declared, and nowhere else:

- src/python/calculator/functions/NAME/handler.py and BUILD (the BUILD copied from a sibling's);
- tests/calculator/functions/NAME/test_handler.py and BUILD, and tests/events/NAME.json (the
  sibling's event for the same method, re-routed);
- infra/template.yaml: the function, its HttpApi route event and its log group, copied from the
  sibling's blocks (so the guards every function has, it has), with no table access;
- NAME in CALCULATOR_FUNCTIONS (pants-plugins/build_prelude.py), which puts its zip in every test
  that runs the packaged artifacts;
- its row in README "Architecture".

The smoke, property and route tests, the cold-start benchmark, the rehearsal and the local
server read the template (src/python/lambda_devkit/service_spec.py), so the new function is in all of them. The
handler is a working skeleton (GET answers its name and request id; POST validates and echoes
`{"a", "b"}`) to replace with the real work; tests/lambda_devkit/scaffold/test_new_function.py holds its frame
to the existing handlers'. The new function starts with no access to the table: when its code
uses the table, grant the action in its template block (the smoke test says which).
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.readme import FUNCTION_TABLE_HEADER, README, architecture_row

FUNCTIONS_DIR = Path(service_spec.SOURCE_ROOT) / "calculator" / "functions"
TESTS_DIR = Path("tests/calculator/functions")
PRELUDE = Path("pants-plugins/build_prelude.py")
TEMPLATE = sam.TEMPLATE
# Short enough that every generated line fits in 100 columns.
NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")

HANDLER_HEAD = '''"""Lambda function behind `{route}`: what it does, in one line (written by new_function.py)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.shared.api import Api, Request, Response, logger, ok
{models_import}
app = Api()


'''
GET_ROUTE = """@app.get("{path}")
def {identifier}(request: Request) -> Response:
    return ok({{"function": "{name}", "requestId": request.id}})
"""
POST_ROUTE = """@app.post("{path}", body=Operands)
def {identifier}(request: Request) -> Response:
    operands = request.body(Operands)
    return ok(
        {{
            "function": "{name}",
            "a": operands.a,
            "b": operands.b,
            "requestId": request.id,
        }}
    )
"""
# The frame every handler shares; tests/lambda_devkit/scaffold/test_new_function.py checks it is theirs.
HANDLER_TAIL = """

@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
"""

TEST = '''"""`{route}` through `handler(event, context)` (written by new_function.py: extend it)."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.{name} import handler as {identifier}
from lambda_devkit.testing.events import EventFactory, without_caller


def test_answers_its_event(api_event: EventFactory, lambda_context: LambdaContext) -> None:
    event = api_event("{name}")
    response = {identifier}.handler(event, lambda_context)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {{
        "function": "{name}",{echo}
        "requestId": event["requestContext"]["requestId"],
    }}


def test_another_method_is_405_naming_its_own(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = api_event("{name}")
    event["requestContext"]["http"]["method"] = "DELETE"
    response = {identifier}.handler(event, lambda_context)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "{method}"


def test_without_a_verified_caller_it_is_401(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = without_caller(api_event("{name}"))
    response = {identifier}.handler(event, lambda_context)
    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {{"message": "Unauthorized"}}
{post_tests}'''
POST_TESTS = """

def test_bad_operands_are_a_400_naming_the_field(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = api_event("{name}", body='{{"a": true}}')
    response = {identifier}.handler(event, lambda_context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"] == [
        {{"field": "a", "problem": "must be a number"}},
        {{"field": "b", "problem": "is required"}},
    ]
"""


class Refused(Exception):
    """The function cannot be added as asked; the message says why."""


@dataclass(frozen=True)
class NewFunction:
    name: str
    method: str
    path: str

    @property
    def identifier(self) -> str:
        return self.name

    @property
    def pascal(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def handler_source(new: NewFunction) -> str:
    post = new.method == "POST"
    head = HANDLER_HEAD.format(
        route=new.route,
        models_import="from calculator.shared.models import Operands\n" if post else "",
    )
    route = (POST_ROUTE if post else GET_ROUTE).format(
        path=new.path, identifier=new.identifier, name=new.name
    )
    return head + route + HANDLER_TAIL


def unit_test_source(new: NewFunction, event: dict[str, object]) -> str:
    post = new.method == "POST"
    echo = ""
    if post:
        operands = json.loads(str(event["body"]))
        echo = f'\n        "a": {operands["a"]!r},\n        "b": {operands["b"]!r},'
    return TEST.format(
        route=new.route,
        name=new.name,
        identifier=new.identifier,
        method=new.method,
        echo=echo,
        post_tests=POST_TESTS.format(name=new.name, identifier=new.identifier) if post else "",
    )


def sibling(template: dict[str, Any], method: str) -> service_spec.Function:
    """An existing function with a route of the same method: whose blocks are copied."""
    for function in service_spec.functions(template):
        if any(route.method == method for route in function.routes):
            return function
    raise Refused(f"no existing function has a {method} route to copy the shape of")


def resource_blocks(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Each resource of the template text: (its first line, the line after its last)."""
    blocks: dict[str, tuple[int, int]] = {}
    current: str | None = None
    for i in range(lines.index("Resources:") + 1, len(lines)):
        line = lines[i]
        if line and not line.startswith(" "):  # the next top-level section
            break
        found = re.fullmatch(r"  ([A-Za-z0-9]+):", line)
        if found or line.startswith("  #"):
            current = found.group(1) if found else None
            if current is not None:
                blocks[current] = (i, i + 1)
        elif line.strip() and current is not None:
            blocks[current] = (blocks[current][0], i + 1)
    return blocks


def _without(block: list[str], key: str) -> list[str]:
    """The block without the property `key` (at 6 spaces) and everything nested under it."""
    kept, skipping = [], False
    for line in block:
        if re.fullmatch(rf"      {key}:.*", line):
            skipping = True
            continue
        if skipping and (line.startswith("       ") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    return kept


def _renamed(block: list[str], old: service_spec.Function, new: NewFunction) -> list[str]:
    old_pascal = old.resource.removesuffix("Function")
    text = "\n".join(block)
    (old_route,) = old.routes
    replacements = [
        (rf"\b{old_pascal}(Function|LogGroup)\b", rf"{new.pascal}\1"),
        (rf"^(\s+){old_pascal}:$", rf"\g<1>{new.pascal}:"),  # the route event's key
        (rf"\.functions\.{old.name}/", f".functions.{new.name}/"),
        (rf"-{old.name}$", f"-{new.name}"),  # FunctionName, LogGroupName
        (rf"Method: {old_route.method}\b", f"Method: {new.method}"),
        (rf"Path: {re.escape(old_route.path)}\b", f"Path: {new.path}"),
    ]
    for pattern, replacement in replacements:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    return text.split("\n")


def add_to_template(root: Path, new: NewFunction, old: service_spec.Function) -> None:
    path = root / TEMPLATE
    lines = path.read_text().split("\n")
    blocks = resource_blocks(lines)
    log_group = f"{old.resource.removesuffix('Function')}LogGroup"
    if log_group not in blocks:
        raise Refused(f"{TEMPLATE}: {old.resource} has no {log_group} to copy")
    function_block = _without(lines[slice(*blocks[old.resource])], "Policies")
    log_block = lines[slice(*blocks[log_group])]
    # Each goes after the last block of its kind: the new function after the last function
    # (with a blank line, as functions are spaced), its log group after the last log group.
    last_function = max(blocks[f.resource][1] for f in service_spec.functions(sam.load(path)))
    last_log_group = max(end for name, (_, end) in blocks.items() if name.endswith("LogGroup"))
    insertions = sorted(
        [
            (last_function, ["", *_renamed(function_block, old, new)]),
            (last_log_group, _renamed(log_block, old, new)),
        ],
        reverse=True,
    )
    for at, block in insertions:
        lines[at:at] = block
    path.write_text("\n".join(lines))


def add_to_prelude(root: Path, name: str) -> None:
    path = root / PRELUDE
    text = path.read_text()
    found = re.search(r"^CALCULATOR_FUNCTIONS = \(\n((?:    \"[a-z0-9_]+\",\n)*)\)", text, re.M)
    if found is None:
        raise Refused(f"{PRELUDE}: no CALCULATOR_FUNCTIONS tuple, one name a line")
    names = re.findall(r'"([a-z0-9_]+)"', found.group(1))
    entries = "".join(f'    "{n}",\n' for n in sorted({*names, name}))
    path.write_text(text[: found.start(1)] + entries + text[found.end(1) :])


def add_to_readme(root: Path, function: service_spec.Function) -> None:
    path = root / README
    lines = path.read_text().split("\n")
    start = lines.index(FUNCTION_TABLE_HEADER) + 2
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    rows = sorted([*lines[start:end], architecture_row(function)])
    lines[start:end] = rows
    path.write_text("\n".join(lines))


def event_for(root: Path, new: NewFunction, old: service_spec.Function) -> dict[str, object]:
    """The sibling's event fixture (same method), routed to the new function."""
    event = json.loads((root / old.event).read_text())
    route_key = new.route
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = new.path
    event["requestContext"]["requestId"] = f"{new.name[:12]}-0000001"
    # The route's own request: the sibling's query string is the sibling's business.
    event["rawQueryString"] = ""
    event.pop("queryStringParameters", None)
    return dict(event)


def check(root: Path, new: NewFunction, template: dict[str, Any]) -> None:
    if not NAME.fullmatch(new.name) or keyword.iskeyword(new.name):
        raise Refused(
            f"{new.name!r} is not a function name: lower case letters, digits and _, starting "
            "with a letter, at most 20 characters, not a Python keyword"
        )
    if not re.fullmatch(r"(/[a-z0-9_-]+)+", new.path):
        raise Refused(f"{new.path!r} is not a path: /segment[/segment...], lower case")
    existing = service_spec.functions(template)
    if new.name in {f.name for f in existing} or (root / FUNCTIONS_DIR / new.name).exists():
        raise Refused(f"a function {new.name!r} exists already")
    taken = {str(route): f.name for f in existing for route in f.routes}
    if new.route in taken:
        raise Refused(f"{new.route} is {taken[new.route]}'s route already")


def write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x") as file:  # never overwrite
        file.write(text)


def add_function(root: Path, new: NewFunction) -> list[Path]:
    """Adds `new` under `root`; returns the files it created or changed."""
    template = sam.load(root / TEMPLATE)
    check(root, new, template)
    old = sibling(template, new.method)
    event = event_for(root, new, old)
    source_dir, tests_dir = root / FUNCTIONS_DIR / new.name, root / TESTS_DIR / new.name
    written = [
        source_dir / "handler.py",
        source_dir / "BUILD",
        tests_dir / "test_handler.py",
        tests_dir / "BUILD",
        root / service_spec.EVENTS_DIR / f"{new.name}.json",
    ]
    write_new(written[0], handler_source(new))
    write_new(written[1], (root / old.target_dir / "BUILD").read_text())
    write_new(written[2], unit_test_source(new, event))
    write_new(written[3], (root / TESTS_DIR / old.name / "BUILD").read_text())
    write_new(written[4], json.dumps(event, indent=2) + "\n")
    add_to_template(root, new, old)
    add_to_prelude(root, new.name)
    function = service_spec.function(new.name, sam.load(root / TEMPLATE))
    add_to_readme(root, function)
    return [*written, root / TEMPLATE, root / PRELUDE, root / README]


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
        "Next: ./pants tailor --check update-build-files --check lint check test package ::\n"
        "then write what the function does in its handler.py and test_handler.py."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
