"""`./pants run src/python/lambda_devkit/openapi/main.py -- build|check|update`: the API contract.

build --api MODULE --output PATH    write the OpenAPI document (what `./pants package ::` runs,
                                    from the `openapi_document` target, into dist/openapi.json)
check [--built P] [--committed P]   the built document against the committed copy: fails on
                                    drift (naming it) and on a breaking change without a major
                                    version bump (naming each change)
update [--built P] [--committed P]  copy the built document over the committed one, after the
                                    breaking-change check (so a breaking change needs the bump)
bump major|minor FILE               raise VERSION in FILE, the --api module's source (1.4.2 ->
                                    2.0.0 or 1.5.0), editing only that string

MODULE declares the service's API as `API` (a lambda_http.declaration.Api: title, version,
description and every route) with `VERSION = "X.Y.Z"` beside it: calculator.shared.api.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from lambda_devkit.openapi import compat
from lambda_devkit.openapi.document import ContractError, DeclaredApi, build

BUILT = Path("dist/openapi.json")
COMMITTED = Path("docs/openapi.json")


def render(document: dict[str, Any]) -> str:
    """The document's one text form: the committed copy is compared with it byte for byte."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def api_of(module_name: str) -> DeclaredApi:
    """The API that `module_name` declares, as its `API`."""
    api = getattr(importlib.import_module(module_name), "API", None)
    if api is None or not hasattr(api, "routes"):
        raise ContractError(f"{module_name} declares no `API` (a lambda_http.declaration.Api)")
    declared: DeclaredApi = api
    return declared


def _read(path: Path, what: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        hint = "run ./pants package ::" if what == "built" else "run this command's `update`"
        raise ContractError(f"no {what} document at {path}: {hint}") from None
    except json.JSONDecodeError as error:
        raise ContractError(f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ContractError(f"{path} is not an OpenAPI document (a JSON object)")
    return document


def drift(built: dict[str, Any], committed: dict[str, Any]) -> list[str]:
    """Where the two documents differ, as JSON pointers (`/paths/~1add/post/...`)."""
    found: list[str] = []

    def walk(a: Any, b: Any, pointer: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(a.keys() | b.keys()):
                escaped = key.replace("~", "~0").replace("/", "~1")
                if key not in b:
                    found.append(f"{pointer}/{escaped}: only in the built document")
                elif key not in a:
                    found.append(f"{pointer}/{escaped}: only in the committed copy")
                else:
                    walk(a[key], b[key], f"{pointer}/{escaped}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{pointer}/{index}")
        elif a != b:
            found.append(
                f"{pointer or '/'}: built {json.dumps(a)[:80]}, committed {json.dumps(b)[:80]}"
            )

    walk(built, committed, "")
    return found


def check(built_path: Path, committed_path: Path, *, allow_drift: bool = False) -> list[str]:
    """Every problem with the built document against the committed copy; none if it is fine."""
    built, committed = _read(built_path, "built"), _read(committed_path, "committed")
    problems = compat.breaking_without_bump(committed, built)
    if not allow_drift:
        differences = drift(built, committed)
        if differences:
            problems.append(
                f"{committed_path} differs from {built_path} (the code's contract); if the "
                f"change is meant, run `./pants run src/python/lambda_devkit/openapi/main.py "
                f"-- update`. Differences:\n  " + "\n  ".join(differences)
            )
    return problems


def bump(path: Path, part: str) -> str:
    """Raises the `VERSION = "X.Y.Z"` assignment in `path` in place; returns the new version."""
    try:
        source = path.read_text()
    except FileNotFoundError:
        raise ContractError(f"no file {path} (the --api module's source)") from None
    found = [
        node.value
        for node in ast.parse(source, str(path)).body
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["VERSION"]
    ]
    if len(found) != 1 or not isinstance(found[0], ast.Constant):
        raise ContractError(f'{path} has no single `VERSION = "X.Y.Z"` to bump')
    literal = found[0]
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", str(literal.value))
    if match is None:
        raise ContractError(f"{path}:{literal.lineno}: VERSION {literal.value!r} is not X.Y.Z")
    major, minor = int(match[1]), int(match[2])
    version = f"{major + 1}.0.0" if part == "major" else f"{major}.{minor + 1}.0"
    lines = source.splitlines(keepends=True)
    line = lines[literal.lineno - 1].encode()
    if literal.end_lineno != literal.lineno:
        raise ContractError(f"{path}:{literal.lineno}: VERSION's string spans lines")
    # Only the string literal changes: the code and comments around it stay.
    start, end = literal.col_offset, literal.end_col_offset or len(line)
    quote = "'" if line[start:end].startswith(b"'") else '"'
    new = line[:start] + f"{quote}{version}{quote}".encode() + line[end:]
    lines[literal.lineno - 1] = new.decode()
    path.write_text("".join(lines))
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build", help="write the document")
    build_command.add_argument("--api", required=True, help="the module declaring `API`")
    build_command.add_argument("--output", type=Path, default=BUILT)
    for name in ("check", "update"):
        command = commands.add_parser(name)
        command.add_argument("--built", type=Path, default=BUILT)
        command.add_argument("--committed", type=Path, default=COMMITTED)
    bump_command = commands.add_parser("bump", help="raise the version a breaking change needs")
    bump_command.add_argument("part", choices=("major", "minor"))
    bump_command.add_argument("file", type=Path, help="the --api module's source file")
    args = parser.parse_args(argv)
    try:
        if args.command == "bump":
            print(f"openapi: VERSION in {args.file} is now {bump(args.file, args.part)}")
            return 0
        if args.command == "build":
            text = render(build(api_of(args.api)))
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(text)
            return 0
        if args.command == "check":
            problems = check(args.built, args.committed)
            for problem in problems:
                print(f"openapi: {problem}", file=sys.stderr)
            if not problems:
                print(f"openapi: {args.committed} equals {args.built}; no breaking change")
            return 1 if problems else 0
        problems = check(args.built, args.committed, allow_drift=True)
        for problem in problems:
            print(f"openapi: {problem}", file=sys.stderr)
        if problems:
            return 1
        args.committed.write_text(render(_read(args.built, "built")))
        print(f"openapi: {args.committed} updated from {args.built}")
        return 0
    except ContractError as error:
        print(f"openapi: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
