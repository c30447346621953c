"""Packages `openapi_document` targets: runs the generator in a sandbox, keeps what it writes.

The generator runs from a venv PEX of the locked requirements of the target's closure, with
the closure's sources beside it at their build-root paths and its source roots on the path
(`PEX_EXTRA_SYS_PATH`), as Pants' pytest runner runs tests; it reads e.g. `infra/template.yaml`
as it would from a checkout. The PEX holds no first-party code, so an edit of first-party code
reruns the generator but rebuilds no PEX, and its venv, made once in the named PEX cache, starts in
milliseconds (a zipapp PEX spends ~1.5 s resolving its distributions on every run). Its output
is a process output, so an unchanged closure is a cache hit, locally or from the remote cache:
what the generator documents should import only what the document says (for a service, its
API declaration and models), so that an edit of the logic is not in the closure at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFiles,
    PythonSourceFilesRequest,
)
from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, PackageFieldSet
from pants.engine.process import ProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import TransitiveTargets, TransitiveTargetsRequest
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from openapi_document.target_types import (
    OpenApiGeneratorArgsField,
    OpenApiGeneratorField,
    OpenApiOutputPathField,
)

DEFAULT_OUTPUT = "openapi.json"


@dataclass(frozen=True)
class OpenApiDocumentFieldSet(PackageFieldSet):
    required_fields = (OpenApiGeneratorField,)

    generator: OpenApiGeneratorField
    args: OpenApiGeneratorArgsField
    output_path: OpenApiOutputPathField


@rule(desc="Build an OpenAPI document", level=LogLevel.DEBUG)
async def package_openapi_document(field_set: OpenApiDocumentFieldSet) -> BuiltPackage:
    output = field_set.output_path.value or DEFAULT_OUTPUT
    generator = field_set.generator.value or ""
    pex_request = await Get(
        PexRequest,
        PexFromTargetsRequest(
            [field_set.address],
            output_filename="openapi-generator.pex",
            internal_only=True,
            main=EntryPoint(generator),
            include_source_files=False,
        ),
    )
    pex = await Get(VenvPex, PexRequest, pex_request)
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([field_set.address]))
    sources = await Get(
        PythonSourceFiles,
        PythonSourceFilesRequest(transitive.closure, include_resources=True, include_files=True),
    )
    result = await Get(
        ProcessResult,
        VenvPexProcess(
            pex,
            argv=(*(field_set.args.value or ()), "--output", output),
            input_digest=sources.source_files.snapshot.digest,
            extra_env={"PEX_EXTRA_SYS_PATH": ":".join(sources.source_roots)},
            output_files=(output,),
            description=f"Generate {output} from {field_set.address}",
            level=LogLevel.DEBUG,
        ),
    )
    return BuiltPackage(result.output_digest, (BuiltPackageArtifact(output),))


def rules() -> Iterable[object]:
    return [*collect_rules(), UnionRule(PackageFieldSet, OpenApiDocumentFieldSet)]
