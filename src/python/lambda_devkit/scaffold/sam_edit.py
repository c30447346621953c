"""Structural edits of the SAM template's text: parse, locate, splice; comments stay as written.

The template is parsed twice: as data (lambda_devkit.template.load) to follow references, and as
YAML nodes, whose marks give each entry's exact lines whatever the indentation, key order,
quoting or comments. Edits cut or add whole entries at those lines and the result is parsed
again before it is returned, so an edit that would not parse is never written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from lambda_devkit import template as sam

# The sections whose entries are named and may refer to each other.
SECTIONS = ("Parameters", "Rules", "Conditions", "Resources", "Outputs")
Entry = tuple[str, str]  # (section, name), e.g. ("Resources", "AddFunction")


class EditRefused(ValueError):
    """The template cannot be edited as asked; the message says why."""


@dataclass(frozen=True)
class Span:
    """Lines [start, end) of one entry: its key line to its last line of content."""

    start: int
    end: int


def _mapping(node: yaml.Node, where: str) -> yaml.MappingNode:
    if not isinstance(node, yaml.MappingNode):
        raise EditRefused(f"{where} is not a mapping")
    if node.flow_style:
        raise EditRefused(f"{where} is written in flow style ({{...}}); write it in block style")
    return node


def _content_end(lines: list[str], start: int, boundary: int) -> int:
    """The line after the last line of content in [start, boundary): trailing blank lines and
    comments belong to what follows (a comment heads the next entry or group)."""
    end = boundary
    while end > start + 1 and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1
    return end


def _boundary(mapping: yaml.MappingNode, lines: list[str]) -> int:
    """The first line after the mapping (PyYAML marks a block's end at the next token)."""
    mark = mapping.end_mark
    return mark.line if mark.column == 0 or mark.line >= len(lines) else mark.line + 1


def _top_level(text: str) -> yaml.MappingNode:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise EditRefused(f"the template cannot be parsed: {error}") from None
    if root is None:
        raise EditRefused("the template is empty")
    return _mapping(root, "the template")


def section_spans(text: str) -> dict[str, tuple[Span, dict[str, Span]]]:
    """Each named section: its own span (header line to content end) and each entry's span."""
    lines = text.split("\n")
    top = _top_level(text)
    found: dict[str, tuple[Span, dict[str, Span]]] = {}
    top_keys = [key for key, _ in top.value]
    for index, (key, value) in enumerate(top.value):
        if key.value not in SECTIONS:
            continue
        after = (
            top_keys[index + 1].start_mark.line
            if index + 1 < len(top_keys)
            else _boundary(top, lines)
        )
        section = Span(key.start_mark.line, _content_end(lines, key.start_mark.line, after))
        entries: dict[str, Span] = {}
        if isinstance(value, yaml.MappingNode):
            mapping = _mapping(value, key.value)
            starts = [k.start_mark.line for k, _ in mapping.value] + [after]
            for i, (entry_key, _) in enumerate(mapping.value):
                entries[str(entry_key.value)] = Span(
                    starts[i], _content_end(lines, starts[i], starts[i + 1])
                )
        found[str(key.value)] = (section, entries)
    return found


def _checked(text: str) -> str:
    try:
        template = yaml.load(text, Loader=sam._TemplateLoader)
    except yaml.YAMLError as error:  # a bug here, not the user's: say so plainly
        raise EditRefused(
            f"the edited template would not parse ({error}); nothing written"
        ) from None
    if not isinstance(template, dict):
        raise EditRefused("the edited template would not be a mapping; nothing written")
    return text


def append_resources(text: str, block: str) -> str:
    """`text` with `block` (resources, keys at column 0) appended at the end of Resources,
    indented as the template's own resources are."""
    spans = section_spans(text)
    if "Resources" not in spans:
        raise EditRefused("the template has no Resources section")
    section, entries = spans["Resources"]
    lines = text.split("\n")
    if not entries:
        raise EditRefused("the template's Resources section is empty")
    first = lines[min(span.start for span in entries.values())]
    indent = first[: len(first) - len(first.lstrip())]
    rendered = [indent + line if line.strip() else "" for line in block.strip("\n").split("\n")]
    lines[section.end : section.end] = ["", *rendered]
    return _checked("\n".join(lines))


def remove_entries(text: str, entries: Iterable[Entry]) -> str:
    """`text` without the named entries (a section left empty goes too)."""
    spans = section_spans(text)
    lines = text.split("\n")
    cuts: list[Span] = []
    wanted: dict[str, set[str]] = {}
    for section, name in entries:
        wanted.setdefault(section, set()).add(name)
    for section, names in wanted.items():
        if section not in spans or not names <= set(spans[section][1]):
            missing = sorted(names - set(spans.get(section, (None, {}))[1]))
            raise EditRefused(f"the template has no {section} entry {', '.join(missing)}")
        section_span, entry_spans = spans[section]
        if names == set(entry_spans):
            cuts.append(section_span)
        else:
            cuts += [entry_spans[name] for name in names]
    for span in sorted(cuts, key=lambda s: s.start, reverse=True):
        start, end = span.start, span.end
        # Between blank lines: take one of them along, so no double blank line is left.
        if (
            start > 0
            and not lines[start - 1].strip()
            and end < len(lines)
            and not lines[end].strip()
        ):
            end += 1
        del lines[start:end]
    return _checked("\n".join(lines))


# --- References: which entries name which, as CloudFormation resolves them.

_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


def _names_in(value: Any) -> Iterator[tuple[str, str]]:
    """Every (kind, name) `value` refers to: kind "condition" or "id" (a parameter or a
    resource, for GetAtt and Sub its logical id)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield "id", item
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) else str(item).split(".", 1)[0]
                yield "id", str(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                local = set(item[1]) if isinstance(item, list) and len(item) > 1 else set()
                for name in _SUB_NAME.findall(str(text)):
                    base = name.split(".", 1)[0]
                    if base not in local:
                        yield "id", base
                if local:
                    yield from _names_in(item[1])
            elif key == "Fn::If" and isinstance(item, list) and item:
                yield "condition", str(item[0])
                yield from _names_in(item[1:])
            elif key == "Condition" and isinstance(item, str):
                yield "condition", item
            elif key == "DependsOn":
                for name in [item] if isinstance(item, str) else item:
                    yield "id", str(name)
            else:
                yield from _names_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _names_in(item)


class References:
    """Who refers to whom among a template's entries (and its Globals, as one referrer)."""

    GLOBALS: Entry = ("Globals", "")

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.entries: list[Entry] = [
            (section, name) for section in SECTIONS for name in template.get(section) or {}
        ]
        ids = {name: (s, name) for s, name in self.entries if s in ("Parameters", "Resources")}
        conditions = {name: ("Conditions", name) for name in template.get("Conditions") or {}}
        resources = sorted(template.get("Resources") or {}, key=len, reverse=True)
        self.refers: dict[Entry, set[Entry]] = {}
        for entry in [*self.entries, self.GLOBALS]:
            section, name = entry
            body = template.get("Globals", {}) if entry == self.GLOBALS else template[section][name]
            found: set[Entry] = set()
            for kind, target in _names_in(body):
                if kind == "condition":
                    if target in conditions:
                        found.add(conditions[target])
                elif target in ids:
                    found.add(ids[target])
                else:
                    # A resource SAM generates (AddFunctionRole, AddFunctionAliaslive) is its
                    # declaring resource's: the declared id it starts with.
                    owner = next((r for r in resources if target.startswith(r)), None)
                    if owner is not None:
                        found.add(("Resources", owner))
            found.discard(entry)
            self.refers[entry] = found

    def referrers(self, entry: Entry) -> set[Entry]:
        return {source for source, targets in self.refers.items() if entry in targets}


def owned_by(template: dict[str, Any], resource: str, keep_types: Iterable[str]) -> set[Entry]:
    """The resource and every entry that belongs only to it: what it alone refers to (its log
    group, a parameter only it reads), what refers to it and nothing of `keep_types` that stays
    (its alarms, an output of its ARN), and so on until nothing more belongs to the set.

    Refused when an entry refers to it and to something that stays of `keep_types` (a
    dashboard of every function): that entry must be edited by hand first."""
    graph = References(template)
    resources = template.get("Resources") or {}
    kept_types = set(keep_types)
    removed: set[Entry] = {("Resources", resource)}
    changed = True
    while changed:
        changed = False
        for entry in graph.entries:
            if entry in removed:
                continue
            refers = graph.refers[entry]
            if refers & removed and entry[0] in ("Resources", "Outputs", "Conditions", "Rules"):
                staying = sorted(
                    name
                    for section, name in refers - removed
                    if section == "Resources" and resources[name]["Type"] in kept_types
                )
                if staying:
                    raise EditRefused(
                        f"{entry[0]}.{entry[1]} refers to {resource} and to {', '.join(staying)}:"
                        f" edit it by hand first"
                    )
                removed.add(entry)
                changed = True
            elif any(entry in graph.refers[r] for r in removed):
                referrers = graph.referrers(entry)
                if referrers and referrers <= removed:
                    removed.add(entry)
                    changed = True
    return removed
