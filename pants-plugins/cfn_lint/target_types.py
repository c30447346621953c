"""The `cloudformation_templates` target: CloudFormation (and SAM) templates, for `pants lint`."""

from __future__ import annotations

from pants.engine.target import COMMON_TARGET_FIELDS, BoolField, MultipleSourcesField, Target


class CloudFormationTemplateSourcesField(MultipleSourcesField):
    """Template files, YAML or JSON, as cfn-lint reads them."""

    expected_file_extensions = (".yaml", ".yml", ".json", ".template")
    help = "CloudFormation or SAM template files."


class SkipCfnLintField(BoolField):
    """Opts a target out of cfn-lint."""

    alias = "skip_cfn_lint"
    default = False
    help = "If true, don't run cfn-lint on this target's templates."


class CloudFormationTemplatesTarget(Target):
    """CloudFormation or SAM templates."""

    alias = "cloudformation_templates"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        CloudFormationTemplateSourcesField,
        SkipCfnLintField,
    )
    help = "CloudFormation or SAM templates, linted by cfn-lint under `pants lint`."
