"""Reads infra/template.yaml and the artifacts it points at: what is deployed, from where."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
# Which property of each SAM resource type names its zip.
ARTIFACT_PROPERTY = {FUNCTION: "CodeUri", LAYER: "ContentUri"}


@dataclass(frozen=True)
class Artifact:
    """One zip the template deploys: the resource, and the path relative to the build root."""

    resource: str
    resource_type: str
    path: str  # e.g. dist/src.python.calculator.functions.add/lambda.zip

    @property
    def built(self) -> Path:
        """The zip's path relative to dist/: where a test's runtime_package_dependencies put it."""
        return Path(self.path.removeprefix("dist/"))


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as a dict, with short-form intrinsics (!Ref, !If) in their long form."""
    template, problems = decode_str(path.read_text())
    if problems or template is None:
        raise ValueError(f"{path}: cannot be parsed: {problems}")
    return dict(template)


def artifacts(template: dict[str, Any]) -> list[Artifact]:
    found = []
    for name, resource in template["Resources"].items():
        prop = ARTIFACT_PROPERTY.get(resource["Type"])
        if prop is None:
            continue
        uri = resource["Properties"][prop]
        if not isinstance(uri, str) or not uri.startswith("../dist/"):
            raise ValueError(f"{name}.{prop} must be a path under ../dist/, not {uri!r}")
        found.append(Artifact(name, resource["Type"], uri.removeprefix("../")))
    return found


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


def function_name_of(artifact_path: str) -> str:
    """`dist/src.python.calculator.functions.add/lambda.zip` -> `add`."""
    return Path(artifact_path).parent.name.rsplit(".", 1)[-1]
