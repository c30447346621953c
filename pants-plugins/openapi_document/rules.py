"""Packages `openapi_document` targets: runs the generator in a sandbox, keeps what it writes.

The generator runs from a venv PEX of the locked requirements of the target's closure, with
the closure's sources beside it at their build-root paths and its source roots on the path
(`PEX_EXTRA_SYS_PATH`), as Pants' pytest runner runs tests; it reads e.g. `infra/template.yaml`
as it would from a checkout. The PEX holds no first-party code, so an edit to a handler reruns
the generator but rebuilds no PEX, and its venv, made once in the named PEX cache, starts in
milliseconds (a zipapp PEX spends ~1.5 s resolving its distributions on every run). Its output
is a process output, so an unchanged closure is a cache hit, locally or from the remote cache.

The generator first runs on a skeleton of the code it documents (skeleton.py): the same files
without comments and with the bodies of the functions it never runs replaced by a tripwire.
An edit inside such a function, or to a comment, leaves the skeleton as it was, so the run is a
cache hit. If the skeleton run fails for any reason (a tripwire fired: the guess of what runs
was wrong), the generator runs on the unchanged sources, and that result is the document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from pants.backend.python.target_types import EntryPoint, PythonSourceField
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFiles,
    PythonSourceFilesRequest,
)
from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, PackageFieldSet
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestSubset,
    FileContent,
    MergeDigests,
    PathGlobs,
    Snapshot,
)
from pants.engine.process import (
    FallibleProcessResult,
    Process,
    ProcessCacheScope,
    ProcessResult,
)
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import Targets, TransitiveTargets, TransitiveTargetsRequest
from pants.engine.unions import UnionRule
from pants.source.source_root import SourceRootsRequest, SourceRootsResult
from pants.util.logging import LogLevel

from openapi_document import skeleton
from openapi_document.target_types import (
    OpenApiGeneratorArgsField,
    OpenApiGeneratorField,
    OpenApiOutputPathField,
)

DEFAULT_OUTPUT = "openapi.json"
SKELETON_SCRIPT = "__skeleton.py"
NAMES = "__generator_names.txt"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenApiDocumentFieldSet(PackageFieldSet):
    required_fields = (OpenApiGeneratorField,)

    generator: OpenApiGeneratorField
    args: OpenApiGeneratorArgsField
    output_path: OpenApiOutputPathField


@dataclass(frozen=True)
class GeneratorFilesRequest:
    """The files of the generator's own closure, among those of the document's `closure`."""

    generator: str
    closure: Targets


@dataclass(frozen=True)
class GeneratorFiles:
    files: frozenset[str]  # empty: the generator's module is not first-party code


def _module(path: str, root: str) -> str:
    parts = PurePath(path).relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] in ("__init__", "__main__") else parts)


@rule(desc="Find the OpenAPI generator's own files", level=LogLevel.DEBUG)
async def generator_files(request: GeneratorFilesRequest) -> GeneratorFiles:
    owners = {
        t[PythonSourceField].file_path: t for t in request.closure if t.has_field(PythonSourceField)
    }
    roots = await Get(SourceRootsResult, SourceRootsRequest.for_files(owners))
    found = [
        target
        for path, target in owners.items()
        if _module(path, roots.path_to_root[PurePath(path)].path) == request.generator
    ]
    if not found:
        return GeneratorFiles(frozenset())
    own = await Get(TransitiveTargets, TransitiveTargetsRequest([t.address for t in found]))
    return GeneratorFiles(
        frozenset(
            t[PythonSourceField].file_path for t in own.closure if t.has_field(PythonSourceField)
        )
    )


@dataclass(frozen=True)
class SkeletonRequest:
    """The closure's files: the generator's own are `kept`, those it documents `reduced`."""

    sources: Snapshot
    kept: tuple[str, ...]
    reduced: tuple[str, ...]
    interpreter_constraints: InterpreterConstraints


@dataclass(frozen=True)
class Skeleton:
    digest: Digest | None  # None: no skeleton (e.g. a syntax error, which the full run reports)


def _skeleton_process(
    python: PythonExecutable, command: str, files: tuple[str, ...], inputs: Digest, what: str
) -> Process:
    """`skeleton.py names` writes NAMES from the generator's files; `reduce` reads it and
    rewrites the documented files in place."""
    return Process(
        # -s: no user site-packages; the standard library is all the script needs.
        argv=(python.path, "-s", SKELETON_SCRIPT, command, NAMES, *files),
        input_digest=inputs,
        output_files=(NAMES,) if command == "names" else files,
        description=f"{what} ({len(files)} files)",
        level=LogLevel.DEBUG,
    )


@rule(desc="Reduce the documented code to its skeleton", level=LogLevel.DEBUG)
async def make_skeleton(request: SkeletonRequest) -> Skeleton:
    python = await Get(PythonExecutable, InterpreterConstraints, request.interpreter_constraints)
    script = await Get(
        Digest,
        CreateDigest([FileContent(SKELETON_SCRIPT, Path(skeleton.__file__).read_bytes())]),
    )
    # The generator's names: a cache hit for as long as the generator itself is unchanged.
    kept = await Get(Digest, DigestSubset(request.sources.digest, PathGlobs(request.kept)))
    kept_inputs = await Get(Digest, MergeDigests([kept, script]))
    names = await Get(
        FallibleProcessResult,
        _skeleton_process(python, "names", request.kept, kept_inputs, "Names the generator uses"),
    )
    if names.exit_code != 0:
        return Skeleton(None)
    reduced = await Get(Digest, DigestSubset(request.sources.digest, PathGlobs(request.reduced)))
    inputs = await Get(Digest, MergeDigests([reduced, script, names.output_digest]))
    result = await Get(
        FallibleProcessResult,
        _skeleton_process(python, "reduce", request.reduced, inputs, "Skeleton of documented code"),
    )
    if result.exit_code != 0:
        return Skeleton(None)  # e.g. a syntax error, which the run on the full sources reports
    unchanged = [f for f in request.sources.files if f not in request.reduced]
    rest = await Get(Digest, DigestSubset(request.sources.digest, PathGlobs(unchanged)))
    return Skeleton(await Get(Digest, MergeDigests([rest, result.output_digest])))


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

    def generate(input_digest: Digest, what: str) -> VenvPexProcess:
        return VenvPexProcess(
            pex,
            argv=(*(field_set.args.value or ()), "--output", output),
            input_digest=input_digest,
            extra_env={"PEX_EXTRA_SYS_PATH": ":".join(sources.source_roots)},
            output_files=(output,),
            description=f"Generate {output} from {field_set.address} ({what})",
            level=LogLevel.DEBUG,
            # A skeleton run that fails is rerun on the full sources: cache that answer too.
            cache_scope=(
                ProcessCacheScope.ALWAYS if what == "skeleton" else ProcessCacheScope.SUCCESSFUL
            ),
        )

    own = await Get(GeneratorFiles, GeneratorFilesRequest(generator, Targets(transitive.closure)))
    snapshot = sources.source_files.snapshot
    reduced = tuple(f for f in snapshot.files if f.endswith(".py") and f not in own.files)
    if own.files and reduced:
        made = await Get(
            Skeleton,
            SkeletonRequest(
                snapshot,
                kept=tuple(f for f in snapshot.files if f in own.files),
                reduced=reduced,
                interpreter_constraints=pex_request.interpreter_constraints,
            ),
        )
        if made.digest is not None:
            tried = await Get(
                FallibleProcessResult, VenvPexProcess, generate(made.digest, "skeleton")
            )
            if tried.exit_code == 0:
                return BuiltPackage(tried.output_digest, (BuiltPackageArtifact(output),))
            last = tried.stderr.decode(errors="replace").strip().splitlines()[-1:]
            logger.debug("%s: skeleton run failed (%s); from the full sources", output, last)
    result = await Get(
        ProcessResult, VenvPexProcess, generate(sources.source_files.snapshot.digest, "sources")
    )
    return BuiltPackage(result.output_digest, (BuiltPackageArtifact(output),))


def rules() -> Iterable[object]:
    return [*collect_rules(), UnionRule(PackageFieldSet, OpenApiDocumentFieldSet)]
