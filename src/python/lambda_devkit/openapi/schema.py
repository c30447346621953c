"""Types to JSON Schemas: the one step of the OpenAPI build that knows how models are declared.

Request models are lambda_http.validation models (frozen dataclasses whose fields carry
their own JSON Schema): their schema is `validation.json_schema`. Everything else (response
TypedDicts, the error body) goes through pydantic's TypeAdapter, here at build time only;
their number fields say their schema with `validation.JsonSchema`, which pydantic reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import TypeAdapter

from lambda_http import validation

REF_TEMPLATE = "#/components/schemas/{model}"
# A request is described as what validation accepts, a response as what serialisation writes.
Mode = Literal["validation", "serialization"]


def _is_request_model(t: object) -> bool:
    return (
        isinstance(t, type)
        and dataclasses.is_dataclass(t)
        and all("schema" in f.metadata for f in dataclasses.fields(t))
    )


def json_schemas(
    types: Sequence[tuple[object, Mode]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Each type's schema (a `$ref` into the components, or inline), and the components."""
    others = [
        (i, mode, TypeAdapter[Any](t))
        for i, (t, mode) in enumerate(types)
        if not _is_request_model(t)
    ]
    by_key: dict[tuple[int, Mode], Any] = {}
    components: dict[str, dict[str, Any]] = {}
    if others:
        found, defs = TypeAdapter.json_schemas(others, ref_template=REF_TEMPLATE)
        by_key.update(found)
        components.update(defs.get("$defs", {}))
    for i, (t, mode) in enumerate(types):
        if _is_request_model(t):
            assert isinstance(t, type)
            components[t.__name__] = validation.json_schema(t)
            by_key[(i, mode)] = {"$ref": REF_TEMPLATE.format(model=t.__name__)}
    return [dict(by_key[(i, mode)]) for i, (_, mode) in enumerate(types)], components
