"""The `openapi_document` target: a JSON document that a Python program of ours writes."""

from __future__ import annotations

from pants.core.goals.package import OutputPathField
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    Dependencies,
    StringField,
    StringSequenceField,
    Target,
)


class OpenApiGeneratorField(StringField):
    alias = "generator"
    required = True
    help = (
        "The module (`package.module`) that writes the document: run as `python -m` with "
        "`args` and `--output PATH` from a PEX of this target's dependencies."
    )


class OpenApiGeneratorArgsField(StringSequenceField):
    alias = "args"
    default = ()
    help = "Arguments to the generator, before `--output PATH`."


class OpenApiDependenciesField(Dependencies):
    help = (
        "What the generator imports: its own code and what it documents (a service's API "
        "declaration, imported by name), with the files it reads (e.g. the SAM template)."
    )


class OpenApiOutputPathField(OutputPathField):
    help = "Where under dist/ the document goes; default `openapi.json`."


class OpenApiDocument(Target):
    alias = "openapi_document"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        OpenApiGeneratorField,
        OpenApiGeneratorArgsField,
        OpenApiDependenciesField,
        OpenApiOutputPathField,
    )
    help = (
        "An OpenAPI document built by `package` from the API's declaration: a PEX of "
        "the dependencies runs `generator`, whose output lands in dist/."
    )
