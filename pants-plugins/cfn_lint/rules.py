"""`pants lint`: cfn-lint on every `cloudformation_templates` target's files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.util_rules import source_files
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import FieldSet, Target
from pants.util.logging import LogLevel
from pants.util.strutil import pluralize

from cfn_lint.subsystem import CfnLint
from cfn_lint.target_types import CloudFormationTemplateSourcesField, SkipCfnLintField

# The plugin's own cfn-lint rule (unknown Lambda runtimes), copied into the sandbox.
_RULE = Path(__file__).with_name("lambda_runtime_rule.py")
_RULES_DIR = "__cfn_lint_rules"


@dataclass(frozen=True)
class CfnLintFieldSet(FieldSet):
    """A target cfn-lint runs on."""

    required_fields = (CloudFormationTemplateSourcesField,)

    sources: CloudFormationTemplateSourcesField

    @classmethod
    def opt_out(cls, tgt: Target) -> bool:
        return tgt.get(SkipCfnLintField).value


class CfnLintRequest(LintTargetsRequest):
    """`pants lint`: cfn-lint."""

    field_set_type = CfnLintFieldSet
    # 2.17 types this slot nominally; upstream's own linters ignore it alike.
    tool_subsystem = CfnLint  # type: ignore[assignment]
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION


@rule(desc="Lint with cfn-lint", level=LogLevel.DEBUG)
async def run_cfn_lint(
    request: CfnLintRequest.Batch[CfnLintFieldSet, Any], cfn_lint: CfnLint
) -> LintResult:
    cfn_lint.check_usable()
    rule_file = FileContent(f"{_RULES_DIR}/{_RULE.name}", _RULE.read_bytes())
    cfn_lint_pex, sources, rules_digest = await MultiGet(
        Get(VenvPex, PexRequest, cfn_lint.to_pex_request()),
        Get(SourceFiles, SourceFilesRequest(field_set.sources for field_set in request.elements)),
        Get(Digest, CreateDigest([rule_file])),
    )
    input_digest = await Get(Digest, MergeDigests((sources.snapshot.digest, rules_digest)))
    files = sources.snapshot.files
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            cfn_lint_pex,
            # `--format parseable`: one line per finding, file:line:column, for editors and CI.
            argv=(
                *("--format", "parseable", "--append-rules", _RULES_DIR),
                *cfn_lint.args,
                "--",
                *files,
            ),
            input_digest=input_digest,
            description=f"Run cfn-lint on {pluralize(len(files), 'file')}.",
            level=LogLevel.DEBUG,
        ),
    )
    return LintResult.create(request, result)


def rules() -> Iterable[Any]:
    """The lint rules, plus what they need to build the tool and read sources."""
    return (
        *collect_rules(),
        *CfnLintRequest.rules(),
        # Both unannotated in Pants 2.17.
        *pex.rules(),  # type: ignore[no-untyped-call]
        *source_files.rules(),  # type: ignore[no-untyped-call]
    )
