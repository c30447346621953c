"""Types to JSON Schemas: the one step of the OpenAPI build that knows the validation library.

pydantic today. If the models become msgspec Structs, this becomes
`msgspec.json.schema_components(types, ref_template=REF_TEMPLATE)`, which returns the same pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import TypeAdapter

REF_TEMPLATE = "#/components/schemas/{model}"
# A request is described as what validation accepts, a response as what serialisation writes.
Mode = Literal["validation", "serialization"]


def json_schemas(
    types: Sequence[tuple[object, Mode]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Each type's schema (a `$ref` into the components, or inline), and the components."""
    adapters = [(index, mode, TypeAdapter[Any](t)) for index, (t, mode) in enumerate(types)]
    by_key, components = TypeAdapter.json_schemas(adapters, ref_template=REF_TEMPLATE)
    schemas = [dict(by_key[(index, mode)]) for index, (_, mode) in enumerate(types)]
    return schemas, dict(components.get("$defs", {}))
