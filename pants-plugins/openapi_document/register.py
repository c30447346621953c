"""`openapi_document`: an OpenAPI document that `package` builds from the API's declaration."""

from collections.abc import Iterable

from pants.engine.target import Target

from openapi_document import rules as document_rules
from openapi_document.target_types import OpenApiDocument


def rules() -> Iterable[object]:
    return document_rules.rules()


def target_types() -> list[type[Target]]:
    return [OpenApiDocument]
