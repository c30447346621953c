"""Writes the tables the docs share with the code, between markers, and checks them.

One direction only: the data is the truth and the docs are rendered from it. A Markdown file
(README.md or under docs/) asks for a table with a pair of HTML comments:

    <!-- docs_tables: functions -->          every function the SAM template deploys
    <!-- docs_tables: layers -->             every layer the SAM template deploys
    <!-- docs_tables: answers PATH -->       the requests in PATH (TOML, lambda_devkit.testing.answers)
    <!-- end docs_tables -->

Usage: `./pants run src/python/lambda_devkit/docs_tables.py` rewrites the tables;
`-- --check` changes nothing and fails, with a diff naming each file and table, if any differs.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.testing import answers

COMMAND = "./pants run src/python/lambda_devkit/docs_tables.py"
BLOCK = re.compile(
    r"^(?P<start><!-- docs_tables: (?P<kind>[a-z]+)(?: (?P<arg>\S+))? -->\n)"
    r"(?P<body>.*?)"
    r"^(?P<end><!-- end docs_tables -->)$",
    re.MULTILINE | re.DOTALL,
)
FUNCTIONS_HEADER = (
    "| function | trigger | handler | Pants target | template resource | artifact | table actions |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)
LAYERS_HEADER = (
    "| layer | architectures | Pants target | template resource | artifact |\n"
    "| --- | --- | --- | --- | --- |"
)


def markdown_files(root: Path) -> list[Path]:
    """README.md and every Markdown file under docs/, the files tables may be written into."""
    found = [root / "README.md"] if (root / "README.md").is_file() else []
    return found + sorted((root / "docs").rglob("*.md"))


def function_row(function: service_spec.Function) -> str:
    trigger = ", ".join(f"HTTP API `{route}`" for route in function.routes)
    actions = ", ".join(f"`{a}`" for a in sorted(function.table_actions)) or "none"
    return (
        f"| {function.name} | {trigger} | `lambda_function.handler` → "
        f"`{function.handler_module}.handler` | `{function.build_target}` | "
        f"`{function.resource}` | `{function.artifact}` | {actions} |"
    )


def functions_table(template: dict[str, Any]) -> str:
    rows = [function_row(f) for f in service_spec.functions(template)]
    return "\n".join([FUNCTIONS_HEADER, *rows])


def layers_table(template: dict[str, Any]) -> str:
    rows = []
    for layer in sam.artifacts(template):
        if layer.resource_type != sam.LAYER:
            continue
        properties = template["Resources"][layer.resource]["Properties"]
        architectures = ", ".join(properties.get("CompatibleArchitectures", [])) or "any"
        rows.append(
            f"| {layer.built.stem} | {architectures} | `{layer.target}` | `{layer.resource}` | "
            f"`{layer.path}` |"
        )
    return "\n".join([LAYERS_HEADER, *rows])


class _Tables:
    """Renders each kind of table once per run, from files under one build root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._template: dict[str, Any] | None = None

    @property
    def template(self) -> dict[str, Any]:
        if self._template is None:
            self._template = sam.load(self.root / sam.TEMPLATE)
        return self._template

    def render(self, kind: str, arg: str | None) -> str:
        if kind == "functions" and arg is None:
            return functions_table(self.template)
        if kind == "layers" and arg is None:
            return layers_table(self.template)
        if kind == "answers" and arg is not None:
            return answers.table(answers.load(self.root / arg))
        raise ValueError(
            f"unknown table {' '.join(filter(None, [kind, arg]))!r}: "
            "expected 'functions', 'layers' or 'answers PATH'"
        )


def _render_file(path: Path, text: str, tables: _Tables) -> str:
    def replace(block: re.Match[str]) -> str:
        try:
            body = tables.render(block["kind"], block["arg"])
        except ValueError as error:
            line = text.count("\n", 0, block.start()) + 1
            raise ValueError(f"{path}:{line}: {error}") from None
        return f"{block['start']}{body}\n{block['end']}"

    rendered = BLOCK.sub(replace, text)
    opened = len(re.findall(r"^<!-- docs_tables:", text, re.MULTILINE))
    closed = len(re.findall(r"^<!-- end docs_tables -->", text, re.MULTILINE))
    if len(BLOCK.findall(text)) != opened or opened != closed:
        raise ValueError(f"{path}: a '<!-- docs_tables: ... -->' marker has no matching end")
    return rendered


def answer_files(root: Path) -> list[Path]:
    """The request/answer data files the docs under `root` render tables from."""
    found = {
        root / block["arg"]
        for path in markdown_files(root)
        for block in BLOCK.finditer(path.read_text())
        if block["kind"] == "answers" and block["arg"]
    }
    return sorted(found)


def render(root: Path) -> dict[Path, str]:
    """Each Markdown file under `root` that has tables, as it reads with its tables rendered."""
    tables = _Tables(root)
    rendered = {}
    for path in markdown_files(root):
        text = path.read_text()
        if re.search(r"^<!-- docs_tables:", text, re.MULTILINE):
            rendered[path] = _render_file(path.relative_to(root), text, tables)
    return rendered


def differences(root: Path) -> list[str]:
    """A unified diff per file whose tables are not what the data says, empty when in step."""
    found = []
    for path, text in render(root).items():
        current = path.read_text()
        if current != text:
            name = str(path.relative_to(root))
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{name} (as written)",
                tofile=f"{name} (from the data)",
            )
            found.append("".join(diff))
    return found


def write(root: Path) -> list[Path]:
    """Rewrites the tables under `root`; returns the files that changed."""
    changed = []
    for path, text in render(root).items():
        if path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; fail if any table differs"
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the build root")
    args = parser.parse_args(argv)
    try:
        if args.check:
            found = differences(args.root)
            for diff in found:
                print(diff, end="" if diff.endswith("\n") else "\n")
            if found:
                print(f"docs tables are out of date: run `{COMMAND}`", file=sys.stderr)
                return 1
            print("docs tables are up to date")
            return 0
        for path in write(args.root):
            print(f"wrote {path.relative_to(args.root)}")
    except (ValueError, OSError) as error:
        print(f"docs_tables: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
