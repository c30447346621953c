"""Breaking changes between two OpenAPI 3.1 documents, for the clients of the older one.

A change breaks a client when a request it sends is no longer accepted, or when a response it
reads no longer has what it read. So, per operation (method and path):

- a removed operation;
- in what a client sends (parameters, request body): a removed field, a new required field, a
  body that becomes required, a narrowed type (fewer JSON types, fewer enum values, a raised
  minimum or lowered maximum of any kind: `minimum`, `maxLength`, `x-maxDigits`...), extra
  properties refused where they were allowed;
- in what a client reads (each status' body): a removed field, a field that may now be absent,
  a widened type (JSON types it never had to read).

Other changes (new operations, new optional fields, new statuses, wider requests, descriptions)
do not break anyone. Semantic versioning decides what a breaking change needs: a new major
version in `info.version`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class _Document:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Any) -> dict[str, Any]:
        seen = set()
        while isinstance(schema, dict) and "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in seen or not ref.startswith("#/"):
                return {}
            seen.add(ref)
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            schema = target
        return schema if isinstance(schema, dict) else {}

    def types(self, schema: Any) -> frozenset[str] | None:
        """The JSON types a schema allows; None for any."""
        schema = self.resolve(schema)
        if "type" in schema:
            kind = schema["type"]
            found = set(kind) if isinstance(kind, list) else {str(kind)}
        elif "anyOf" in schema or "oneOf" in schema:
            found = set()
            for option in schema.get("anyOf", schema.get("oneOf", [])):
                option_types = self.types(option)
                if option_types is None:
                    return None
                found |= option_types
        elif "enum" in schema or "const" in schema:
            values = schema.get("enum", [schema.get("const")])
            found = {_json_type(v) for v in values}
        else:
            return None
        if "number" in found:
            found.add("integer")  # every integer is a number
        return frozenset(found)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is_lower_bound(key: str) -> bool:
    return key.removeprefix("x-").startswith(("min", "exclusiveMin"))


def _is_upper_bound(key: str) -> bool:
    return key.removeprefix("x-").startswith(("max", "exclusiveMax"))


class _Diff:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = _Document(old)
        self.new = _Document(new)
        self.found: list[str] = []

    def sent(self, old: Any, new: Any, where: str, depth: int = 0) -> None:
        """`old` -> `new` for something a client sends: it must accept at least as much."""
        if depth > 32:
            return
        o, n = self.old.resolve(old), self.new.resolve(new)
        old_types, new_types = self.old.types(o), self.new.types(n)
        if new_types is not None and (old_types is None or not old_types <= new_types):
            was = "anything" if old_types is None else "/".join(sorted(old_types))
            self.found.append(f"{where}: was {was}, now only {'/'.join(sorted(new_types))}")
        if "enum" in n and not set(map(repr, o.get("enum", [object()]))) <= set(
            map(repr, n["enum"])
        ):
            self.found.append(f"{where}: accepts fewer values ({n['enum']})")
        for key, value in n.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            before = o.get(key)
            if _is_lower_bound(key) and (before is None or value > before):
                self.found.append(f"{where}: {key} raised from {before} to {value}")
            if _is_upper_bound(key) and (before is None or value < before):
                self.found.append(f"{where}: {key} lowered from {before} to {value}")
        if n.get("additionalProperties") is False and o.get("additionalProperties") is not False:
            self.found.append(f"{where}: now refuses properties it does not name")
        self._fields(o, n, where, depth, self.sent, sent=True)
        if "items" in o and "items" in n:
            self.sent(o["items"], n["items"], f"{where}[]", depth + 1)

    def read(self, old: Any, new: Any, where: str, depth: int = 0) -> None:
        """`old` -> `new` for something a client reads: it must hold no more than before."""
        if depth > 32:
            return
        o, n = self.old.resolve(old), self.new.resolve(new)
        old_types, new_types = self.old.types(o), self.new.types(n)
        if old_types is not None and (new_types is None or not new_types <= old_types):
            now = "anything" if new_types is None else "/".join(sorted(new_types))
            self.found.append(f"{where}: was {'/'.join(sorted(old_types))}, now {now}")
        self._fields(o, n, where, depth, self.read, sent=False)
        if "items" in o and "items" in n:
            self.read(o["items"], n["items"], f"{where}[]", depth + 1)

    def _fields(
        self,
        o: dict[str, Any],
        n: dict[str, Any],
        where: str,
        depth: int,
        compare: Callable[[Any, Any, str, int], None],
        *,
        sent: bool,
    ) -> None:
        old_fields, new_fields = o.get("properties", {}), n.get("properties", {})
        old_required, new_required = set(o.get("required", [])), set(n.get("required", []))
        for name in old_fields:
            if name not in new_fields:
                self.found.append(f"{where}.{name}: removed")
            else:
                compare(old_fields[name], new_fields[name], f"{where}.{name}", depth + 1)
        if sent:
            for name in sorted(new_required - old_required):
                self.found.append(f"{where}.{name}: newly required")
        else:
            for name in sorted(old_required - new_required):
                if name in new_fields:
                    self.found.append(f"{where}.{name}: may now be absent")

    def operations(self) -> None:
        old_paths = self.old.document.get("paths", {})
        new_paths = self.new.document.get("paths", {})
        for path, old_item in old_paths.items():
            for method in METHODS:
                if method not in old_item:
                    continue
                name = f"{method.upper()} {path}"
                new_operation = new_paths.get(path, {}).get(method)
                if new_operation is None:
                    self.found.append(f"{name}: removed")
                    continue
                self.operation(old_item[method], new_operation, name)

    def operation(self, old: dict[str, Any], new: dict[str, Any], name: str) -> None:
        # Query parameters are compared as the fields of one object a client sends.
        def as_object(operation: dict[str, Any], document: _Document) -> dict[str, Any]:
            parameters = [document.resolve(p) for p in operation.get("parameters", [])]
            return {
                "properties": {f"{p['in']}:{p['name']}": p.get("schema", {}) for p in parameters},
                "required": [f"{p['in']}:{p['name']}" for p in parameters if p.get("required")],
            }

        self.sent(as_object(old, self.old), as_object(new, self.new), f"{name} parameters")
        old_body = self.old.resolve(old.get("requestBody", {}))
        new_body = self.new.resolve(new.get("requestBody", {}))
        if new_body.get("required") and not old_body.get("required"):
            self.found.append(f"{name} body: newly required")
        for media, content in new_body.get("content", {}).items():
            before = old_body.get("content", {}).get(media)
            if before is not None:
                self.sent(before.get("schema"), content.get("schema"), f"{name} body")
        if old_body.get("content") and not set(old_body["content"]) <= set(
            new_body.get("content", {})
        ):
            self.found.append(f"{name} body: a media type it took is no longer accepted")
        for status, old_response in old.get("responses", {}).items():
            new_response = new.get("responses", {}).get(status)
            if new_response is None:
                continue  # no longer answered: nothing a client reads has changed
            old_content = self.old.resolve(old_response).get("content", {})
            new_content = self.new.resolve(new_response).get("content", {})
            for media, content in old_content.items():
                if media in new_content:
                    self.read(
                        content.get("schema"),
                        new_content[media].get("schema"),
                        f"{name} {status} response",
                    )
        if new.get("security") and not old.get("security"):
            self.found.append(f"{name}: now requires credentials")


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` breaks a client of `old`, one line each; none if nothing does."""
    diff = _Diff(old, new)
    diff.operations()
    return diff.found


def _major(version: str) -> int | None:
    head = version.split(".", 1)[0].removeprefix("v")
    return int(head) if head.isdigit() else None


def breaking_without_bump(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One problem naming every breaking change, unless `new`'s major version is higher."""
    changes = breaking_changes(old, new)
    old_version = str(old.get("info", {}).get("version", ""))
    new_version = str(new.get("info", {}).get("version", ""))
    old_major, new_major = _major(old_version), _major(new_version)
    if not changes:
        return []
    if old_major is not None and new_major is not None and new_major > old_major:
        return []
    wanted = f"{old_major + 1}.0.0" if old_major is not None else "a new major version"
    return [
        f"breaking changes for clients of version {old_version} need a new major version "
        f"(info.version {wanted}, not {new_version}; see docs/api-contract.md):\n  "
        + "\n  ".join(changes)
    ]
