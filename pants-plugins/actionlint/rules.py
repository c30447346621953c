"""`pants lint`: actionlint on every `github_workflows` target's files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.util_rules import external_tool, source_files
from pants.core.util_rules.external_tool import DownloadedExternalTool, ExternalToolRequest
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.fs import Digest, MergeDigests
from pants.engine.platform import Platform
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import FieldSet, Target
from pants.util.logging import LogLevel
from pants.util.strutil import pluralize

from actionlint.subsystem import Actionlint
from actionlint.target_types import GithubWorkflowSourcesField, SkipActionlintField


@dataclass(frozen=True)
class ActionlintFieldSet(FieldSet):
    """A target actionlint runs on."""

    required_fields = (GithubWorkflowSourcesField,)

    sources: GithubWorkflowSourcesField

    @classmethod
    def opt_out(cls, tgt: Target) -> bool:
        return tgt.get(SkipActionlintField).value


class ActionlintRequest(LintTargetsRequest):
    """`pants lint`: actionlint."""

    field_set_type = ActionlintFieldSet
    # 2.17 types this slot nominally; upstream's own linters ignore it alike.
    tool_subsystem = Actionlint  # type: ignore[assignment]
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION


@rule(desc="Lint with actionlint", level=LogLevel.DEBUG)
async def run_actionlint(
    request: ActionlintRequest.Batch[ActionlintFieldSet, Any],
    actionlint: Actionlint,
    platform: Platform,
) -> LintResult:
    tool, sources = await MultiGet(
        Get(DownloadedExternalTool, ExternalToolRequest, actionlint.get_request(platform)),
        Get(SourceFiles, SourceFilesRequest(field_set.sources for field_set in request.elements)),
    )
    input_digest = await Get(Digest, MergeDigests((tool.digest, sources.snapshot.digest)))
    files = sources.snapshot.files
    result = await Get(
        FallibleProcessResult,
        Process(
            # `-no-color`: the goal prints the output as is. `-shellcheck=` and `-pyflakes=`:
            # the sandbox has neither, and actionlint would look them up on PATH; the scripts it
            # would pass them are a few lines of `./pants` calls.
            argv=(tool.exe, "-no-color", "-shellcheck=", "-pyflakes=", *actionlint.args, *files),
            input_digest=input_digest,
            description=f"Run actionlint on {pluralize(len(files), 'file')}.",
            level=LogLevel.DEBUG,
        ),
    )
    return LintResult.create(request, result)


def rules() -> Iterable[Any]:
    """The lint rules, plus what they need to fetch the binary and read sources."""
    return (
        *collect_rules(),
        *ActionlintRequest.rules(),
        # Both unannotated in Pants 2.17.
        *external_tool.rules(),  # type: ignore[no-untyped-call]
        *source_files.rules(),  # type: ignore[no-untyped-call]
    )
