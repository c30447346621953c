"""cfn-lint rule E9001: a Lambda runtime must be one that Lambda has (or had).

cfn-lint 1.x checks runtimes for deprecation only, so a typo such as `python9.99` passes it and
fails at deploy time. The runtimes known are cfn-lint's own lifecycle data, updated with each
cfn-lint release. The cfn_lint plugin passes this file to cfn-lint with `--append-rules`; it
runs inside cfn-lint's environment, not Pants'.
"""

from __future__ import annotations

from typing import Any

from cfnlint.data import AdditionalSpecs
from cfnlint.helpers import load_resource
from cfnlint.jsonschema import ValidationError, ValidationResult, Validator
from cfnlint.rules.jsonschema.CfnLintKeyword import CfnLintKeyword


class UnknownLambdaRuntime(CfnLintKeyword):
    id = "E9001"
    shortdesc = "Lambda runtimes must exist"
    description = "A function's Runtime or a layer's CompatibleRuntimes names a runtime Lambda has."
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    tags = ["resources", "lambda", "runtime"]

    def __init__(self) -> None:
        super().__init__(
            [
                "Resources/AWS::Lambda::Function/Properties/Runtime",
                "Resources/AWS::Serverless::Function/Properties/Runtime",
                "Globals/Function/Runtime",
                "Resources/AWS::Lambda::LayerVersion/Properties/CompatibleRuntimes/*",
                "Resources/AWS::Serverless::LayerVersion/Properties/CompatibleRuntimes/*",
            ]
        )
        self.known = set(load_resource(AdditionalSpecs, "LmbdRuntimeLifecycle.json"))

    def validate(
        self, validator: Validator, keywords: Any, runtime: Any, schema: dict[str, Any]
    ) -> ValidationResult:
        if validator.is_type(runtime, "string") and runtime not in self.known:
            yield ValidationError(
                f"Runtime {runtime!r} is not a Lambda runtime (see {self.source_url})", rule=self
            )
