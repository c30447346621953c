"""The `python_aws_lambda_function` and `python_aws_lambda_layer` targets of Pants 2.18+."""

from __future__ import annotations

from enum import Enum

from pants.backend.awslambda.python.target_types import (
    PythonAwsLambdaHandlerField,
    PythonAwsLambdaIncludeRequirements,
    PythonAwsLambdaRuntime,
)
from pants.backend.python.target_types import PythonResolveField
from pants.backend.python.util_rules.faas import (
    PythonFaaSCompletePlatforms,
    PythonFaaSDependencies,
)
from pants.core.goals.package import OutputPathField
from pants.core.util_rules.environments import EnvironmentField
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    BoolField,
    SpecialCasedDependencies,
    StringField,
    Target,
)
from pants.util.strutil import help_text


class LambdaArchitecture(Enum):
    X86_64 = "x86_64"
    ARM64 = "arm64"


class PythonAwsLambdaArchitecture(StringField):
    alias = "architecture"
    valid_choices = LambdaArchitecture
    expected_type = str
    default = LambdaArchitecture.X86_64.value
    help = help_text(
        """
        The instruction set architecture the Lambda runs on (`x86_64` or `arm64`). With `runtime`
        and no `complete_platforms`, it selects the bundled complete platform for that pair, so
        native wheels are chosen for the right machine.
        """
    )


class PythonAwsLambdaLayerDependenciesField(PythonFaaSDependencies):
    required = True


class PythonAwsLambdaIncludeSources(BoolField):
    alias = "include_sources"
    default = True
    help = help_text(
        """
        Whether to include first-party sources in the layer. Set to `False` for a layer of
        third-party requirements only.
        """
    )


class PythonAwsLambdaIncludeBytecode(BoolField):
    alias = "include_bytecode"
    default = True
    help = help_text(
        """
        Whether to ship a `.pyc` beside every `.py`, compiled by the runtime's own CPython
        (3.13 for `python3.13`) as checked-hash bytecode, which stays valid on Lambda's read-only
        /var/task and /opt whatever the zip's timestamps. Without it every cold start compiles
        every module it imports. Not in upstream Pants (which never compiles): set `False` for
        upstream's exact zip.
        """
    )


class PythonAwsLambdaLayersField(SpecialCasedDependencies):
    alias = "layers"
    help = help_text(
        """
        The `python_aws_lambda_layer` targets this function runs with. Its zip leaves out every
        first-party file and every third-party distribution (transitive ones included) that
        these layers ship, and keeps everything else the handler needs: its own code, and any
        requirement no layer provides.

        A layer that ships requirements is built for one architecture: name one per
        architecture (layers with the same `dependencies`), and the function's `architecture`
        picks the matching one, so the list can be said once, in `__defaults__`. A layer of
        another architecture with no counterpart of the function's is an error. Not in upstream
        Pants (pantsbuild/pants#19256).
        """
    )


_FAAS_FIELDS = (
    *COMMON_TARGET_FIELDS,
    OutputPathField,
    PythonAwsLambdaIncludeRequirements,
    PythonAwsLambdaRuntime,
    PythonAwsLambdaArchitecture,
    PythonFaaSCompletePlatforms,
    PythonAwsLambdaIncludeBytecode,
    PythonResolveField,
    EnvironmentField,
)


class PythonAWSLambdaFunction(Target):
    alias = "python_aws_lambda_function"
    core_fields = (
        *_FAAS_FIELDS,
        PythonFaaSDependencies,
        PythonAwsLambdaHandlerField,
        PythonAwsLambdaLayersField,
    )
    help = help_text(
        """
        A Python function packaged as a zip for AWS Lambda: the handler's sources and (unless
        `include_requirements=False`) its third-party requirements, at the zip's top level, plus
        `lambda_function.py` re-exporting the handler so Lambda's handler setting is always
        `lambda_function.handler`. What its `layers` ship is left out.
        """
    )


class PythonAWSLambdaLayer(Target):
    alias = "python_aws_lambda_layer"
    core_fields = (
        *_FAAS_FIELDS,
        PythonAwsLambdaIncludeSources,
        PythonAwsLambdaLayerDependenciesField,
    )
    help = help_text(
        """
        A Python layer packaged as a zip for AWS Lambda: everything the `dependencies` need,
        under `python/` so that Lambda puts it on `sys.path` at `/opt/python`.
        """
    )
